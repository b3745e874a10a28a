"""The QEMU machines make boottest boots, one per arch, and the QEMU command line.

Keyed by kbuild.ARCHES' names: the compiler, ARCH= and the knobs come from there.
"""
import collections
import os

# Which get_user_pages_fast() an arch runs in v5.0/v5.1 (docs/builds.md).
GENERIC = "generic walk (mm/gup.c)"
FALLBACK = "__weak fallback (mm/util.c)"

Guest = collections.namedtuple("Guest", [
    "family",         # which GUP implementation its kernel runs
    "qemu",           # QEMU binary
    "machine",        # QEMU machine and CPU options
    "memory",
    "image",          # the kernel image QEMU boots, in the build directory
    "target",         # its make target
    "console",        # the kernel's console= (the kernel log, QEMU's -serial)
    "virtio",         # the virtio-serial device on this machine's bus (TAP)
    "init",           # "busybox": boottest/init, DAX; "gup_test": gup_test is /init
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
}

# Arches of issue 15's table that make boottest cannot boot yet, and why.
NOT_BOOTED = {
    "arm64": "not booted: time (generic walk; QEMU virt; a v5.0 build was started "
             "and stopped unfinished on the loaded 2-core host)",
    "mips": "not attempted this session: time (arch walk; QEMU malta)",
    "powerpc64le": "not attempted this session: time (generic walk, hugepd; QEMU pseries)",
    "sparc64": "not attempted this session: time (arch walk; QEMU sun4u)",
    "sh4": "not attempted this session: time (arch walk; QEMU r2d)",
    "s390x": "not attempted this session: time (arch walk in v5.0; QEMU s390-ccw-virtio)",
    "riscv64": "not attempted this session: time (mm/util.c fallback; QEMU virt)",
}
ALL = list(GUESTS) + list(NOT_BOOTED)
# gup_test's cases that need a DAX file: they SKIP where dax is False
DAX_CASES = ("dax_fast_pins_without_longterm", "dax_slow_pins_without_longterm",
             "longterm_gup_dax_refused", "longterm_fast_dax_refused")


def host_arch():
    return os.uname().machine


def kvm_possible(arch):
    """KVM runs a guest of the host's own arch only."""
    return arch == host_arch()


def qemu_argv(arch, image, initrd, console_log, tap_log, accel):
    """The command line: the console to console_log, the virtio console to tap_log."""
    g = GUESTS[arch]
    cpu = []
    if arch == "x86_64":
        cpu = ["-cpu", "host" if accel == "kvm" else "max"]
    append = "console=%s panic=-1" % g.console + (" " + g.append if g.append else "")
    return [g.qemu, "-accel", accel] + cpu + g.machine + [
        "-m", g.memory, "-smp", "1", "-nodefaults", "-no-reboot",
        "-display", "none", "-monitor", "none",
        "-kernel", image, "-initrd", initrd, "-append", append,
        "-serial", "file:" + console_log,
        "-device", g.virtio,
        "-chardev", "file,id=tap,path=" + tap_log,
        "-device", "virtconsole,chardev=tap"]
