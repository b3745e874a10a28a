"""make boottest without a kernel: each arch's QEMU guest (machine, console, TAP
channel, pmem), KVM or TCG, and the timing boots."""
import os

import pytest

from bootrecords import fixture, recorded
from gupunify.boottest import guests, qemuboot
from gupunify.common import kbuild
from gupunify.boottest.tap import parse_tap
from gupunify.common.util import UserError


def test_kvm_internal_error_means_retry_on_tcg():
    record = {"accel": "kvm", "timed_out": False, "timeout_s": 120, "qemu_status": "kvm-error",
              "qemu_output": "KVM internal error. Suberror: 1\nemulation failure"}
    assert qemuboot.kvm_failure(record, "") == "QEMU: KVM internal error. Suberror: 1"
    hung = dict(record, qemu_status="timeout", timed_out=True, qemu_output="")
    assert qemuboot.kvm_failure(hung, "") == "no TAP output within 120 s"
    assert qemuboot.kvm_failure(record, fixture("base.tap")) is None
    assert qemuboot.kvm_failure(dict(record, accel="tcg"), "") is None


def kvm_abort(accel="kvm"):
    """QEMU's record of the kvm_buf_set_msrs abort a user met."""
    return {"accel": accel, "timed_out": False, "timeout_s": 120, "qemu_status": -6,
            "qemu_output": fixture("kvm-abort.qemu").strip()}


def test_qemu_abort_under_kvm_before_tap_means_retry_on_tcg():
    assert qemuboot.kvm_failure(kvm_abort(), "") == (
        "QEMU failed (killed by signal 6 (SIGABRT)): qemu-system-x86_64: "
        "../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion "
        "`ret == cpu->kvm_msr_buf->nmsrs' failed.")
    exited = dict(kvm_abort(), qemu_status=1, qemu_output="")
    assert qemuboot.kvm_failure(exited, "") == "QEMU failed (exit 1): no output"
    # Once gup_test has started, the kernel is on trial, not KVM.
    assert qemuboot.kvm_failure(kvm_abort(), fixture("patched.tap")) is None


def test_boot_after_a_kvm_abort_is_redone_under_tcg(monkeypatch):
    calls = []

    def fake_boot(bzimage, initrd, guest, accel, timeout, arch):
        calls.append((accel, timeout))
        if accel == "kvm":
            return kvm_abort(), "", ""
        return dict(kvm_abort("tcg"), qemu_status=0, qemu_output=""), \
            fixture("patched.tap"), fixture("patched.console")
    monkeypatch.setattr(qemuboot, "boot", fake_boot)
    qemu = {"accel": "kvm", "reason": "/dev/kvm usable", "timeout": 120}
    record, tap, _ = qemuboot.boot_with_fallback("bz", "i", "g", qemu)
    assert calls == [("kvm", 120), ("tcg", qemuboot.TCG_TIMEOUT)]
    assert record["accel"] == "tcg" and record["kvm_failure"].startswith(
        "QEMU failed (killed by signal 6 (SIGABRT)): qemu-system-x86_64: ")
    assert qemu["accel"] == "tcg" and qemu["reason"].startswith("KVM unusable here (QEMU ")
    assert parse_tap(tap).complete


def test_qemu_death_without_kvm_to_blame_stops_the_run(monkeypatch):
    monkeypatch.setattr(qemuboot, "boot", lambda *a: (kvm_abort("tcg"), "", ""))
    with pytest.raises(UserError, match=r"^QEMU failed \(killed by signal 6 \(SIGABRT\)\): "
                       r"qemu-system-x86_64: .*kvm_buf_set_msrs"):
        qemuboot.boot_with_fallback("bz", "i", "g", {"accel": "tcg", "timeout": 9})
    started = fixture("patched.tap").splitlines()[:4]
    monkeypatch.setattr(qemuboot, "boot", lambda *a: (kvm_abort(), "\n".join(started), ""))
    qemu = {"accel": "kvm", "timeout": 120}
    with pytest.raises(UserError, match="^QEMU failed"):
        qemuboot.boot_with_fallback("bz", "i", "g", qemu)
    assert qemu["accel"] == "kvm"


def test_qemu_argv_keeps_tap_apart_from_the_kernel_log():
    argv = guests.qemu_argv("x86_64", "bz", "initrd", "c.log", "t.log", "tcg")
    assert argv[argv.index("-accel") + 1] == "tcg" and argv[argv.index("-cpu") + 1] == "max"
    assert "file:c.log" in argv and "file,id=tap,path=t.log" in argv
    assert argv[argv.index("-append") + 1] == \
        "console=ttyS0 panic=-1 memmap=128M!512M no_timer_check"
    assert guests.qemu_argv("x86_64", "bz", "i", "c", "t", "kvm")[4] == "host"


def test_arm_guest_boots_the_fallback_family_with_tap_on_virtio_mmio():
    argv = guests.qemu_argv("arm", "zImage", "i", "c.log", "t.log", "tcg")
    assert argv[:2] == ["qemu-system-arm", "-accel"] and "-cpu" in argv
    assert argv[argv.index("-M") + 1] == "virt"
    assert argv[argv.index("-append") + 1] == "console=ttyAMA0 panic=-1"
    assert "virtio-serial-device" in argv and "file,id=tap,path=t.log" in argv
    assert guests.GUESTS["arm"].family == guests.FALLBACK
    assert qemuboot.accelerator("arm") == ("tcg", "no KVM for arm on a %s host: TCG"
                                           % os.uname().machine)


def test_mips_guest_boots_malta_with_tap_on_virtio_pci():
    argv = guests.qemu_argv("mips", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-mips", "-accel", "tcg"]
    assert argv[argv.index("-M") + 1] == "malta" and argv[argv.index("-m") + 1] == "256M"
    assert argv[argv.index("-append") + 1] == "console=ttyS0 panic=-1"
    assert argv.count("-serial") == 1 and argv[argv.index("-serial") + 1] == "file:c.log"
    assert argv[argv.index("-device") + 1] == "virtio-serial-pci"
    assert guests.GUESTS["mips"].family == "arch walk (arch/mips/mm/gup.c)"


@pytest.mark.parametrize("arch, machine, append, virtio", [
    # OpenBIOS restarts the kernel on a reboot: gup_test (as /init) powers off
    ("sparc64", ["-M", "sun4u"], "console=ttyS0 panic=-1 BOOTTEST_HALT=poweroff",
     "virtio-serial-pci,bus=pciB"),
    ("s390x", ["-M", "s390-ccw-virtio"], "console=ttysclp0 panic=-1", "virtio-serial-ccw")])
def test_walk_and_fallback_guests_keep_tap_on_their_bus_virtio(arch, machine, append, virtio):
    argv = guests.qemu_argv(arch, "image", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-" + arch, "-accel", "tcg"]
    assert argv[3:3 + len(machine)] == machine and "-cpu" not in argv
    assert argv[argv.index("-append") + 1] == append
    assert argv[argv.index("-serial") + 1] == "file:c.log"
    assert argv[argv.index("-device") + 1] == virtio
    assert "file,id=tap,path=t.log" in argv
    assert qemuboot.accelerator(arch)[0] == "tcg"


def test_riscv64_guest_boots_virt_on_debians_opensbi_and_powers_off():
    argv = guests.qemu_argv("riscv64", "Image", "i", "c.log", "t.log", "tcg")
    assert argv[:3] == ["qemu-system-riscv64", "-accel", "tcg"]
    assert argv[3:7] == ["-M", "virt", "-bios", "default"] and "-cpu" not in argv
    # v5.0's machine_restart() only spins: gup_test powers off through SBI
    assert argv[argv.index("-append") + 1] == "console=ttyS0 panic=-1 BOOTTEST_HALT=poweroff"
    assert argv[argv.index("-kernel") + 1] == "Image"
    assert argv[argv.index("-device") + 1] == "virtio-serial-device"
    assert guests.GUESTS["riscv64"].family == guests.FALLBACK
    assert guests.GUESTS["riscv64"].image == "arch/riscv/boot/Image"


def test_no_usable_kvm_means_tcg(monkeypatch):
    def refuse(path, flags):
        raise PermissionError(13, "Permission denied", path)
    monkeypatch.setattr(qemuboot.os, "open", refuse)
    accel, why = qemuboot.accelerator()
    assert accel == "tcg" and why == "/dev/kvm not usable (Permission denied): TCG, slower"


def test_timings_of_several_boots_merge_to_least_minimum_and_median():
    boots = [{"fast_get_min_usec": 1200, "fast_get_usec": 1300, "size_mib": 128},
             {"fast_get_min_usec": 1150, "fast_get_usec": 1500, "size_mib": 128},
             {"fast_get_min_usec": 1250, "fast_get_usec": 1250, "size_mib": 128}]
    assert qemuboot.merge_timings(boots) == {
        "boots": 3, "fast_get_min_usec": 1150, "fast_get_usec": 1300, "size_mib": 128}


def test_extra_boots_alternate_and_their_failures_count(monkeypatch, tmp_path):
    order = []

    def fake_boot(bzimage, initrd, guest, accel, timeout, arch):
        order.append(bzimage)
        text = fixture(bzimage + ".tap")
        if bzimage == "patched" and guest.endswith("boot-3"):
            text = text.replace("ok 2 fast_write_pin_write_seen",
                                "not ok 2 fast_write_pin_write_seen")
        return ({"timed_out": False, "qemu_status": 0},
                text.replace("fast_get_min_usec=", "fast_get_min_usec=1"), "")
    monkeypatch.setattr(qemuboot, "boot", fake_boot)
    kernels = {label: recorded(label) for label in ("base", "patched")}
    for label, k in kernels.items():
        k.boot.update(bzimage=label, initrd="i", tap_log=str(tmp_path / label / "tap.log"))
    first = {label: k.tap.timing["fast_get_min_usec"] for label, k in kernels.items()}
    qemuboot.timing_boots(kernels, {"accel": "tcg", "timeout": 9}, 3)
    assert order == ["base", "patched", "base", "patched"]
    for label, k in kernels.items():
        assert k.tap.timing["boots"] == 3
        assert k.tap.timing["fast_get_min_usec"] == first[label]
    assert kernels["patched"].tap.problems == ["boot 3: not ok 2 fast_write_pin_write_seen"]
    assert kernels["base"].tap.problems == []


def test_every_guest_without_dax_says_why():
    """gup_test's DAX SKIPs carry the arch's own reason, never a guess."""
    assert sorted(a for a, g in guests.GUESTS.items() if not g.dax) == sorted(guests.NO_DAX)
    assert guests.HUGETLB <= set(guests.GUESTS)


def test_arm64_guest_boots_the_generic_walk_on_virt():
    argv = guests.qemu_argv("arm64", "Image", "i", "c.log", "t.log", "tcg")
    assert argv[0] == "qemu-system-aarch64" and argv[argv.index("-M") + 1] == "virt"
    assert argv[argv.index("-append") + 1] == "console=ttyAMA0 panic=-1"
    assert kbuild.make_argv("arm64", "/s", "/o", 2, [], "Image") == [
        "make", "-C", "/s", "O=/o", "ARCH=arm64", "CROSS_COMPILE=aarch64-linux-gnu-",
        "CC=ccache aarch64-linux-gnu-gcc", "-j2", "Image"]


def test_powerpc64le_guest_is_pseries_power8_with_tap_on_hvc1():
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[0] == "qemu-system-ppc64"
    assert (argv[argv.index("-M") + 1], argv[argv.index("-cpu") + 1]) == (
        "pseries,cap-hpt-max-page-size=16M", "power8")
    # hvc0 is pseries' own vty, which -serial feeds: the virtio console is hvc1
    assert argv[argv.index("-append") + 1] == "console=hvc0 panic=-1 gup_tap=/dev/hvc1"
    assert "file:c.log" in argv and "virtio-serial-pci" in argv
    assert guests.GUESTS["powerpc64le"].family == guests.GENERIC
    assert kbuild.ARCHES["powerpc64le"].make_arch == "powerpc"


def test_powerpc64le_pmem_is_a_file_backed_nvdimm_of_256m_and_labels():
    """spapr_nvdimm.c: pmem a multiple of 256 MiB, label-size and uuid set, a slot."""
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg",
                            "/s/a,b/pmem.img")
    assert argv[argv.index("-m") + 1] == "1G,slots=1,maxmem=1280M"
    assert argv[argv.index("-object") + 1] == (
        "memory-backend-file,id=pmem0,share=on,mem-path=/s/a,,b/pmem.img,size=%d"
        % (256 * 2**20 + 128 * 2**10))
    assert argv[argv.index("nvdimm,memdev=pmem0,label-size=128K,uuid=" + guests.NVDIMM_UUID)
                - 1] == "-device"
    # the DAX cases run there: no /nodax, a SKIP of them is a failure
    assert guests.GUESTS["powerpc64le"].dax and "powerpc64le" not in guests.NO_DAX
    # without a backing file, no nvdimm
    argv = guests.qemu_argv("powerpc64le", "vmlinux", "i", "c.log", "t.log", "tcg")
    assert argv[argv.index("-m") + 1] == "1G" and "-object" not in argv
