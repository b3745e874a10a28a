"""The QEMU machines make boottest boots, one per arch, and the QEMU command line.

Keyed by kbuild.ARCHES' names: the compiler, ARCH= and the knobs come from there.
"""
import collections
import os
import re

from .. import ROOT
from ..common import kbuild

# The boot test's own files: init, gup_test.c, module/, kernel.config, config/.
BOOTTEST_DIR = os.path.join(ROOT, "boottest")

# Which get_user_pages_fast() an arch runs in v5.0/v5.1 (docs/builds.md).
GENERIC = "generic walk (mm/gup.c)"
FALLBACK = "__weak fallback (mm/util.c)"
SLOW_PATH = "no fast walk (mm/gup.c's slow path)"
ARCH_WALK = "arch walk (arch/%s/mm/gup.c)"

Guest = collections.namedtuple("Guest", [
    "family",         # which GUP implementation its kernel runs
    "qemu",           # QEMU binary
    "machine",        # QEMU machine and CPU options
    "memory",
    "image",          # the kernel image QEMU boots, in the build directory
    "target",         # its make target
    "console",        # the kernel's console= (the kernel log, QEMU's -serial)
    "virtio",         # the virtio-serial device on this machine's bus (TAP)
    "init",           # "busybox": boottest/init; "gup_test": gup_test is /init
    "dax",            # pte_devmap and a pmem region: the DAX cases can run
    "append",         # more kernel command line
])

GUESTS = {
    "x86_64": Guest(GENERIC, "qemu-system-x86_64", [], "1G", "arch/x86/boot/bzImage", "bzImage",
                    "ttyS0", "virtio-serial-pci", "busybox", True,
                    # a 128 MiB legacy pmem region (e820 type 12) for the DAX
                    # cases, 128 MiB aligned as devm_memremap_pages() wants;
                    # no_timer_check: under TCG on a loaded host the IO-APIC
                    # timer check misses its ticks and panics the boot
                    "memmap=128M!512M no_timer_check"),
    # multi_v7 without LPAE: no HAVE_GENERIC_GUP, so the mm/util.c fallback
    "arm": Guest(FALLBACK, "qemu-system-arm", ["-M", "virt", "-cpu", "cortex-a15"], "1G",
                 "arch/arm/boot/zImage", "zImage", "ttyAMA0", "virtio-serial-device",
                 "gup_test", False, ""),
    "arm64": Guest(GENERIC, "qemu-system-aarch64", ["-M", "virt", "-cpu", "cortex-a57"], "1G",
                   "arch/arm64/boot/Image", "Image", "ttyAMA0", "virtio-serial-device",
                   "gup_test", False, ""),
    # POWER8: the hash MMU (the config has no radix), with 16M pages (QEMU
    # offers 64K at most by default) for the hugepd walk; hvc0 is the
    # machine's vty, so the virtio console is hvc1; DAX on an nvdimm (NVDIMM)
    "powerpc64le": Guest(GENERIC, "qemu-system-ppc64",
                         ["-M", "pseries,cap-hpt-max-page-size=16M", "-cpu", "power8"],
                         "1G", "vmlinux", "vmlinux", "hvc0", "virtio-serial-pci", "gup_test",
                         True, "gup_tap=/dev/hvc1"),
    # OpenBIOS loads the ELF image; the SU UART on the ebus is -serial; the
    # slots of sabre's own bus are taken, simba's pciB has room; a reboot
    # restarts the kernel from OpenBIOS, so gup_test powers off instead
    "sparc64": Guest(ARCH_WALK % "sparc", "qemu-system-sparc64", ["-M", "sun4u"], "1G",
                     "arch/sparc/boot/image", "image", "ttyS0", "virtio-serial-pci,bus=pciB",
                     "gup_test", False, "BOOTTEST_HALT=poweroff"),
    # -serial is the SCLP VT220 console; TCG's default CPU model (qemu)
    "s390x": Guest(ARCH_WALK % "s390" + " in v5.0, " + GENERIC + " from v5.1",
                   "qemu-system-s390x", ["-M", "s390-ccw-virtio"], "1G",
                   "arch/s390/boot/bzImage", "bzImage", "ttysclp0", "virtio-serial-ccw",
                   "gup_test", False, ""),
    # big-endian MIPS32r2; the Super I/O UART, and PCI for the virtio console
    "mips": Guest(ARCH_WALK % "mips", "qemu-system-mips", ["-M", "malta", "-cpu", "24Kf"],
                  "256M", "vmlinux", "vmlinux", "ttyS0", "virtio-serial-pci", "gup_test",
                  False, ""),
    # no HAVE_GENERIC_GUP: the mm/util.c fallback, like arm; -bios default is
    # Debian's OpenSBI fw_dynamic, whose legacy SBI calls v5.0 uses; the
    # kernel's restart only spins, its power-off asks OpenSBI to end QEMU
    "riscv64": Guest(FALLBACK, "qemu-system-riscv64", ["-M", "virt", "-bios", "default"],
                     "1G", "arch/riscv/boot/Image", "Image", "ttyS0", "virtio-serial-device",
                     "gup_test", False, "BOOTTEST_HALT=poweroff"),
}

# Arches make boottest accepts but cannot boot yet, and why.
NOT_BOOTED = {
    # a loader can stand in for the zImage; nothing here stands in for the
    # compiler (docs/builds.md, "sh4")
    "sh4": "Debian bookworm's only sh4 compiler, gcc 12.2, miscompiles v5.0 "
           "and v5.1.15 alike: its SH pass sh_treg_combine deletes the printk_delay_msec "
           "test of printk_delay() in vprintk_emit() (at -O1, -O2, -Os and -Oz; v5.0 "
           "builds it at -Oz, v5.1.15 at -Os, into the same instructions), so the kernel "
           "spins in udelay() before its first console line (v5.0 under QEMU r2d, -d "
           "in_asm). The trees also lack arch/sh/boot/compressed/vmlinux.scr, so no zImage "
           "builds; vmlinux.bin behind a 40-byte loader of ours (not kept) reached v5.0's "
           "entry, then that loop (arch walk; QEMU r2d)",
}
ALL = list(GUESTS) + list(NOT_BOOTED)
# gup_test's cases that need a DAX file: they SKIP where dax is False
DAX_CASES = ("dax_fast_pins_without_longterm", "dax_slow_pins_without_longterm",
             "longterm_gup_dax_refused", "longterm_fast_dax_refused")
# Why a guest has no DAX, given to gup_test (/nodax) for its SKIP reason.
NO_DAX = {
    "arm": "the arch has no pte_devmap, so no DAX page to pin",
    "sparc64": "the arch has no pte_devmap, so no DAX page to pin",
    "mips": "the arch has no pte_devmap, so no DAX page to pin",
    "s390x": "the arch has no pte_devmap, so no DAX page to pin",
    "riscv64": "the arch has no pte_devmap, so no DAX page to pin",
    "arm64": "the arch has no pte_devmap (ARCH_HAS_PTE_DEVMAP came in v5.7), "
             "so no DAX page to pin",
}
# Guests whose pmem is a QEMU nvdimm backed by a file the host writes
# (pmemimage.py): (MiB of pmem, KiB of labels). pseries makes it a PAPR SCM
# region, which wants the pmem a multiple of 256 MiB (spapr_nvdimm.c's
# SPAPR_MINIMUM_SCM_BLOCK_SIZE) and labels (QEMU keeps them after the pmem
# in the file, at least 128 KiB). gup_test labels the namespace and mounts it.
NVDIMM = {"powerpc64le": (256, 128)}
NVDIMM_UUID = "6a1f9f6e-2b0c-4c1e-9d2e-5f0b7a3c1d42"

# gup_test's cases that need a hugetlb page: they run where the guest's
# kernel has hugetlb pages, and SKIP elsewhere.
HUGETLB_CASES = ("hugetlb_fast_write_pins_all", "hugetlb_longterm_fast_pins")
HUGETLB = {"powerpc64le"}


def family(arch, config, src):
    """Which get_user_pages_fast() a kernel runs, from its .config and its tree.

    The table's family is what the arch is there for; this is what the
    booted kernel had (s390 left its arch walk for the generic one in v5.1).
    """
    # HAVE_FAST_GUP is HAVE_GENERIC_GUP's later name (linux-source-6.1 has it)
    if "y" in (config.get("CONFIG_HAVE_GENERIC_GUP"), config.get("CONFIG_HAVE_FAST_GUP")):
        return GENERIC
    walk = os.path.join(src, "arch", kbuild.ARCHES[arch].arch_dir, "mm", "gup.c")
    if os.path.exists(walk):
        return ARCH_WALK % kbuild.ARCHES[arch].arch_dir
    # Once mm/util.c has no __weak get_user_pages_fast() (it is gone by 6.1),
    # a kernel without the fast walk runs mm/gup.c's slow path for it.
    try:
        with open(os.path.join(src, "mm", "util.c"), encoding="utf-8",
                  errors="replace") as util:
            weak = re.search(r"__weak\s+get_user_pages_fast\s*\(", util.read())
    except FileNotFoundError:
        weak = None
    return FALLBACK if weak else SLOW_PATH


def host_arch():
    return os.uname().machine


def kvm_possible(arch):
    """KVM runs a guest of the host's own arch only."""
    return arch == host_arch()


def _mib(size):
    """MiB in a QEMU size of ours ("1G", "256M")."""
    return int(size[:-1]) << (10 if size.endswith("G") else 0)


def nvdimm_argv(arch, pmem):
    """-m's slot and -object/-device for arch's nvdimm backed by the file pmem."""
    mib, label_kib = NVDIMM[arch]
    memory = GUESTS[arch].memory
    return ["%s,slots=1,maxmem=%dM" % (memory, _mib(memory) + mib)], [
        # a comma in an option's value is doubled
        "-object", "memory-backend-file,id=pmem0,share=on,mem-path=%s,size=%d" % (
            pmem.replace(",", ",,"), (mib << 20) + (label_kib << 10)),
        "-device", "nvdimm,memdev=pmem0,label-size=%dK,uuid=%s" % (label_kib, NVDIMM_UUID)]


def qemu_argv(arch, image, initrd, console_log, tap_log, accel, pmem=None):
    """The command line: the console to console_log, the virtio console to tap_log.

    pmem is the backing file of the arch's nvdimm (NVDIMM: its sizes).
    """
    g = GUESTS[arch]
    cpu = []
    if arch == "x86_64":
        cpu = ["-cpu", "host" if accel == "kvm" else "max"]
    append = "console=%s panic=-1" % g.console + (" " + g.append if g.append else "")
    memory, nvdimm = nvdimm_argv(arch, pmem) if pmem else ([g.memory], [])
    return [g.qemu, "-accel", accel] + cpu + g.machine + [
        "-m"] + memory + nvdimm + ["-smp", "1", "-nodefaults", "-no-reboot",
        "-display", "none", "-monitor", "none",
        "-kernel", image, "-initrd", initrd, "-append", append,
        "-serial", "file:" + console_log,
        "-device", g.virtio,
        "-chardev", "file,id=tap,path=" + tap_log,
        "-device", "virtconsole,chardev=tap"]
