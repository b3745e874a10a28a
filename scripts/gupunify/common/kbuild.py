"""The kernel build layer: arches, compatibility knobs, the make command line, .config.

make check (buildcheck) and make boottest build kernels through this module
alone, so both see the same arches, knobs and compiler.

    ARCHES[name]             an Arch: make_arch (ARCH=), cross_compile
                             (CROSS_COMPILE=, "" for the native x86_64), config
                             (default config target), arch_dir (arch/<dir>/),
                             package (Debian's compiler package, None when
                             Debian has none); .gcc is the compiler's full name
    missing_toolchain(name)  None, or why the arch cannot be built here
    knobs(name, src, version)
                             the Knobs the tree at src (kernel version) needs
                             with this arch's gcc (docs/builds.md), each with its
                             reason, make_vars (VAR=value for make), config
                             (scripts/config options) and cc_flags (added to CC)
    make_argv(name, src, objdir, jobs, knobs, *targets)
                             make -C src O=objdir ARCH= CROSS_COMPILE= (always
                             explicit) CC="ccache <arch>.gcc <cc_flags>" -jN,
                             knob variables
    make(name, src, objdir, jobs, knobs, *targets, env=None)
                             runs it in the C locale: (returncode, stdout and
                             stderr as one stream, so make -O keeps each
                             object's diagnostics under its kbuild line)
    configure(name, src, objdir, jobs, knobs, target, env=None)
                             target (a defconfig), the knobs' config options
                             (knob_lines(), merged last), olddefconfig; raises
                             UserError naming the failure, or a knob's line
                             olddefconfig dropped (missing_config())
    distcc(hosts)            (jobs, env) for make and configure: compiles go
                             to distcc's DISTCC_HOSTS through ccache
                             (CCACHE_PREFIX=distcc), -j the hosts' slots
    read_config(objdir)      {CONFIG_X: value} of objdir/.config
    object_of(source)        the object kbuild makes of a .c file
    Makefiles(read)          the tree's Makefiles (read(path) gives a file's
                             text or None): .enabled(source, config) says
                             whether a .config builds its object, and if
                             not, which CONFIG_ symbol is not set

An arch is a row of ARCHES; the boot test's QEMU machines, keyed by the same
names, are in guests.py.
"""
import collections
import functools
import os
import re
import shutil

from .util import UserError, run

CCACHE_SIZE = "10G"



class Arch(collections.namedtuple("Arch", "make_arch cross_compile config arch_dir package")):
    __slots__ = ()

    @property
    def gcc(self):
        """The compiler by its full name (x86_64-linux-gnu-gcc for the native one).

        A distcc host runs the compiler it is sent by name: a bare gcc there
        may target any arch, mips-linux-gnu-gcc is the same Debian package.
        """
        return (self.cross_compile or host_triplet() + "-") + "gcc"


ARCHES = {
    "x86_64": Arch("x86_64", "", "allmodconfig", "x86", "gcc"),
    # multi_v7 leaves LPAE off: the __weak get_user_pages_fast() of mm/util.c
    "arm": Arch("arm", "arm-linux-gnueabihf-", "multi_v7_defconfig", "arm",
                "gcc-arm-linux-gnueabihf"),
    # the generic walk of mm/gup.c, booted by make boottest
    "arm64": Arch("arm64", "aarch64-linux-gnu-", "defconfig", "arm64",
                  "gcc-aarch64-linux-gnu"),
    "mips": Arch("mips", "mips-linux-gnu-", "defconfig", "mips", "gcc-mips-linux-gnu"),
    "sh4": Arch("sh", "sh4-linux-gnu-", "defconfig", "sh", "gcc-sh4-linux-gnu"),
    "sparc64": Arch("sparc64", "sparc64-linux-gnu-", "defconfig", "sparc",
                    "gcc-sparc64-linux-gnu"),
    "s390x": Arch("s390", "s390x-linux-gnu-", "defconfig", "s390", "gcc-s390x-linux-gnu"),
    "powerpc64le": Arch("powerpc", "powerpc64le-linux-gnu-", "ppc64le_defconfig", "powerpc",
                        "gcc-powerpc64le-linux-gnu"),
    # no HAVE_GENERIC_GUP in v5.0/v5.1: the __weak get_user_pages_fast() of mm/util.c
    "riscv64": Arch("riscv", "riscv64-linux-gnu-", "defconfig", "riscv",
                    "gcc-riscv64-linux-gnu"),
    "ia64": Arch("ia64", "ia64-linux-gnu-", "defconfig", "ia64", None),
}


@functools.lru_cache(maxsize=None)
def host_triplet():
    """The native compiler's target, as Debian names its compilers (x86_64-linux-gnu)."""
    rc, out, _ = run(["gcc", "-dumpmachine"], check=False)
    return out.strip() if rc == 0 and out.strip() else "x86_64-linux-gnu"


def missing_toolchain(name):
    """None when name's compiler is on PATH, else why not (and where to get it)."""
    arch = ARCHES[name]
    if shutil.which(arch.gcc):
        return None
    return "no toolchain (%s not found%s)" % (
        arch.gcc, "; Debian package " + arch.package if arch.package else
        "; Debian has no package for it")


class Knob:
    """A compatibility setting an old tree needs with a current compiler, and why."""

    def __init__(self, name, reason, make_vars=None, config=(), cc_flags=()):
        self.name = name
        self.reason = reason
        self.make_vars = make_vars or {}
        self.config = list(config)
        self.cc_flags = list(cc_flags)

    def as_dict(self):
        return {"knob": self.name, "reason": self.reason}


def version_tuple(version):
    return tuple(int(x) for x in re.findall(r"\d+", version)[:2])


def select_knobs(version, gcc_major, arch, facts):
    """The knobs a tree needs for arch with gcc gcc_major (docs/builds.md, Knobs).

    facts, read from the tree and the host: selinux_pf_max (the highest PF_MAX
    the tree's SELinux class map accepts, or None), host_pf_max, sh_mm_werror and
    sh_kernel_werror (arch/sh/{mm,kernel}/Makefile add -Werror), ppc_werror,
    sparc_werror, riscv_march_zicsr (the tree's -march names zicsr), has_werror;
    for arm, arm_march_v7 (the compiler takes -march=armv7-a alone).
    """
    v = version_tuple(version)
    knobs = []
    if gcc_major >= 10 and v < (5, 7):
        knobs.append(Knob("HOSTCFLAGS=-fcommon",
                          "scripts/dtc defines yylloc twice and gcc >= 10 defaults to "
                          "-fno-common (fixed in v5.7)", {"HOSTCFLAGS": "-fcommon"}))
    limit = facts.get("selinux_pf_max")
    if limit is not None and facts.get("host_pf_max", 0) > limit:
        knobs.append(Knob("CONFIG_SECURITY_SELINUX off",
                          "scripts/selinux/genheaders stops on the host's PF_MAX %d (the "
                          "tree knows %d)" % (facts["host_pf_max"], limit),
                          config=["-d", "SECURITY_SELINUX"]))
    if arch == "x86_64" and gcc_major >= 12 and v < (5, 17):
        knobs.append(Knob("objtool off (RETPOLINE, STACK_VALIDATION, UNWINDER_ORC off; "
                          "UNWINDER_FRAME_POINTER on)",
                          "objtool does not build with gcc >= 12 (-Werror=use-after-free "
                          "in libsubcmd, fixed in v5.17)",
                          config=["-d", "RETPOLINE", "-d", "STACK_VALIDATION",
                                  "-d", "UNWINDER_ORC", "-e", "UNWINDER_FRAME_POINTER"]))
    if arch == "sh4" and gcc_major >= 12:
        flags, whys = [], []
        if facts.get("sh_mm_werror") or facts.get("sh_kernel_werror"):
            flags.append("-Wno-error=address")
            whys.append("arch/sh/mm and arch/sh/kernel build with -Werror and gcc >= 12's "
                        "-Waddress fires in mmzone.h on the base tree")
        if facts.get("sh_kernel_werror"):
            # only a whole kernel (make boottest) builds arch/sh/kernel/machvec.o
            flags.append("-Wno-error=array-bounds")
            whys.append("-Warray-bounds fires on the base tree's machvec.c "
                        "(__machvec_start read as a struct)")
        if flags:
            knobs.append(Knob("KCFLAGS=" + " ".join(flags), "; ".join(whys),
                              {"KCFLAGS": " ".join(flags)}))
    if arch == "powerpc64le" and gcc_major >= 12 and facts.get("ppc_werror"):
        knobs.append(Knob("CONFIG_PPC_DISABLE_WERROR on",
                          "arch/powerpc builds with -Werror (CONFIG_PPC_WERROR) and gcc >= "
                          "12's -Warray-bounds fires in arch/powerpc/kernel/vdso.c on the "
                          "base tree", config=["-e", "PPC_DISABLE_WERROR"]))
    if arch == "sparc64" and gcc_major >= 12 and facts.get("sparc_werror"):
        knobs.append(Knob("KCFLAGS=-Wno-error=stringop-overread -Wno-error=array-bounds",
                          "arch/sparc/kernel and arch/sparc/mm build with -Werror, and gcc "
                          ">= 12's -Wstringop-overread (kernel/mdesc.c) and -Warray-bounds "
                          "(mm/init_64.c) fire on the base tree",
                          {"KCFLAGS": "-Wno-error=stringop-overread -Wno-error=array-bounds"}))
    if arch == "riscv64" and gcc_major >= 12 and facts.get("riscv_march_zicsr") is False:
        knobs.append(Knob("CC+=-misa-spec=2.2",
                          "gcc >= 12 and binutils >= 2.38 follow the 20191213 ISA spec, "
                          "where csr and fence.i need _zicsr_zifencei, which the tree's "
                          "-march lacks (later trees add it); ISA spec 2.2 has them in I",
                          cc_flags=["-misa-spec=2.2"]))
    if arch == "arm" and facts.get("arm_march_v7") is False:
        knobs.append(Knob("CC+=-mfloat-abi=soft",
                          "armhf gcc defaults to hard float, so the tree's cc-option "
                          "-march=armv7-a fails (no FPU) and ARMv7 code builds as armv5t",
                          cc_flags=["-mfloat-abi=soft"]))
    if facts.get("has_werror"):
        knobs.append(Knob("CONFIG_WERROR off",
                          "warnings are compared with the baseline, not made fatal",
                          config=["-d", "WERROR"]))
    return knobs


def tree_facts(src):
    """What select_knobs needs to know about the tree at src and the host."""
    def read(rel):
        try:
            with open(os.path.join(src, rel), errors="replace") as f:
                return f.read()
        except OSError:
            return ""
    facts = {}
    m = re.search(r"#if\s+PF_MAX\s*>\s*(\d+)", read("security/selinux/include/classmap.h"))
    facts["selinux_pf_max"] = int(m.group(1)) if m else None
    facts["host_pf_max"] = host_pf_max()
    facts["sh_mm_werror"] = "-Werror" in read("arch/sh/mm/Makefile")
    facts["sh_kernel_werror"] = "-Werror" in read("arch/sh/kernel/Makefile")
    facts["ppc_werror"] = "CONFIG_PPC_WERROR" in read("arch/powerpc/Kbuild")
    facts["sparc_werror"] = "-Werror" in read("arch/sparc/kernel/Makefile")
    facts["riscv_march_zicsr"] = "zicsr" in read("arch/riscv/Makefile")
    facts["has_werror"] = bool(re.search(r"^config WERROR$", read("init/Kconfig"), re.M))
    return facts


def host_pf_max():
    for root, _, files in os.walk("/usr/include"):
        if "socket.h" in files and root.endswith("bits"):
            with open(os.path.join(root, "socket.h"), errors="replace") as f:
                m = re.search(r"#define\s+PF_MAX\s+(\d+)", f.read())
            if m:
                return int(m.group(1))
    return 0


def gcc_major(gcc):
    rc, out, _ = run([gcc, "-dumpversion"], check=False)
    m = re.match(r"(\d+)", out.strip())
    return int(m.group(1)) if rc == 0 and m else 0


def accepts(gcc, *flags):
    """True when gcc compiles an empty file with flags."""
    rc, _, _ = run([gcc] + list(flags) + ["-c", "-x", "c", "/dev/null", "-o", os.devnull],
                   check=False)
    return rc == 0


def knobs(name, src, version, facts=None):
    """The knobs the tree at src needs for arch name with its compiler (facts: tree_facts)."""
    facts = dict(facts if facts is not None else tree_facts(src))
    if name == "arm":
        facts["arm_march_v7"] = accepts(ARCHES[name].gcc, "-march=armv7-a")
    return select_knobs(version, gcc_major(ARCHES[name].gcc), name, facts)


def make_argv(name, src, objdir, jobs, knobs, *targets):
    """The make command line for arch name, out of tree in objdir."""
    arch = ARCHES[name]
    argv = ["make", "-C", src, "O=" + objdir, "ARCH=" + arch.make_arch,
            # Always explicit: empty for a native build (v5.1.15's Makefile
            # defaults to arm64's prefix).
            "CROSS_COMPILE=" + arch.cross_compile,
            "CC=" + " ".join(["ccache", arch.gcc] + [f for k in knobs for f in k.cc_flags]),
            "-j%d" % jobs]
    for knob in knobs:
        argv += ["%s=%s" % kv for kv in sorted(knob.make_vars.items())]
    return argv + list(targets)


# The config targets of every tree's scripts/kconfig/Makefile; an arch adds
# the *_defconfig files of its arch/<dir>/configs/.
CONFIG_TARGETS = ("defconfig", "allmodconfig", "allyesconfig", "allnoconfig", "alldefconfig",
                  "tinyconfig")


def check_config_target(name, target, src):
    """Refuse a config target of arch name that the tree at src cannot make."""
    configs = os.path.join(src, "arch", ARCHES[name].arch_dir, "configs")
    if target in CONFIG_TARGETS or (target.endswith("_defconfig") and "/" not in target
                                    and os.path.isfile(os.path.join(configs, target))):
        return
    raise UserError("--config %s=%s: not a config target of %s (%s, or a *_defconfig of %s)"
                    % (name, target, src, ", ".join(CONFIG_TARGETS),
                       os.path.relpath(configs, src)))


def distcc(hosts):
    """(jobs, env) that send compiles to the distcc hosts through ccache.

    hosts is distcc's own host list (DISTCC_HOSTS, e.g. "build1/8 build2/16,lzo");
    jobs is what distcc -j makes of it: the sum of the hosts' slots.
    """
    if not shutil.which("distcc"):
        raise UserError("distcc is not installed (Debian package distcc)")
    env = {"CCACHE_PREFIX": "distcc", "DISTCC_HOSTS": hosts}
    rc, out, err = run(["distcc", "-j"], check=False, env=env)
    if rc != 0 or not out.strip().isdigit():
        # distcc -j says what is wrong first, then that it has no host list.
        first = (err.strip().splitlines() or ["distcc -j failed"])[0]
        raise UserError("distcc hosts %r: %s" % (hosts, re.sub(
            r"^distcc\[\d+\] \(\w+\) (ERROR: |Warning: )?", "", first)))
    return int(out.strip()), env


def make(name, src, objdir, jobs, knobs, *targets, env=None, log=None):
    """Run make_argv; (returncode, stdout and stderr as one stream). env: distcc()'s.

    With log (a file open for writing), make writes that stream to it as it
    runs, so that the log named on screen shows the build under way; the
    output returned is read back from it.
    """
    argv = make_argv(name, src, objdir, jobs, knobs, *targets)
    full = {"LC_ALL": "C", "CCACHE_MAXSIZE": os.environ.get("CCACHE_MAXSIZE", CCACHE_SIZE)}
    full.update(env or {})
    if log is None:
        # One stream, so each -O block keeps its kbuild line and its diagnostics together.
        rc, out, _ = run(["sh", "-c", 'exec "$@" 2>&1', "make"] + argv, check=False, env=full)
        return rc, out
    log.flush()
    start = os.path.getsize(log.name)
    full["GUP_UNIFY_LOG"] = log.name
    rc, _, _ = run(["sh", "-c", 'exec "$@" >>"$GUP_UNIFY_LOG" 2>&1', "make"] + argv,
                   check=False, env=full)
    log.seek(0, os.SEEK_END)    # past what make appended
    with open(log.name, "rb") as f:
        f.seek(start)
        return rc, f.read().decode(errors="replace")


def checked_make(name, src, objdir, jobs, knobs, label, *targets, env=None):
    """make, raising UserError with the first error line when it fails."""
    rc, out = make(name, src, objdir, jobs, knobs, *targets, env=env)
    if rc != 0:
        errors = [line for line in out.splitlines() if "error" in line.lower()]
        raise UserError("%s: make %s failed at the base: %s" % (
            label, " ".join(targets), (errors or out.splitlines() or ["?"])[0]))
    return out


def knob_lines(knobs):
    """The config options of knobs as fragment lines (-d X, -e X)."""
    lines = []
    for knob in knobs:
        ops = knob.config
        for op, symbol in zip(ops[::2], ops[1::2]):
            lines.append("# CONFIG_%s is not set" % symbol if op == "-d"
                         else "CONFIG_%s=y" % symbol)
    return lines


def missing_config(config_text, wanted_lines):
    """Lines of a fragment that olddefconfig did not keep."""
    have = set(config_text.splitlines())
    missing = []
    for line in wanted_lines:
        m = re.match(r"# (CONFIG_\w+) is not set", line)
        if m:
            if any(h.startswith(m.group(1) + "=") for h in have):
                missing.append(line)
        elif line.startswith("CONFIG_") and line not in have:
            missing.append(line)
    return missing


def configure(name, src, objdir, jobs, knobs, target, label=None, env=None):
    """objdir/.config from target, the knobs' config options, then olddefconfig.

    The options are a fragment the tree's merge_config.sh moves to the end
    of .config: of a choice's members set y, Kconfig keeps the last one it
    reads, and scripts/config, which edits a line where it stands, left
    v5.0 tinyconfig's UNWINDER_GUESS there after UNWINDER_FRAME_POINTER. A
    knob olddefconfig still drops raises UserError naming it.
    """
    label = label or "%s %s" % (name, target)
    os.makedirs(objdir, exist_ok=True)
    checked_make(name, src, objdir, jobs, knobs, label, target, env=env)
    lines = knob_lines(knobs)
    config = os.path.join(objdir, ".config")
    if lines:
        fragment = os.path.join(objdir, "gup-unify-knobs.config")
        with open(fragment, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        run(["scripts/kconfig/merge_config.sh", "-m", "-O", objdir, config, fragment], cwd=src)
    checked_make(name, src, objdir, jobs, knobs, label, "olddefconfig", env=env)
    with open(config) as f:
        missing = missing_config(f.read(), lines)
    if missing:
        raise UserError("%s: olddefconfig dropped the knobs' %s" % (label, ", ".join(missing)))


def parse_config(text):
    """A .config as a dict CONFIG_X -> value ('y', 'm', '"string"' ...)."""
    config = {}
    for line in text.splitlines():
        m = re.match(r"(CONFIG_\w+)=(.*)", line)
        if m:
            config[m.group(1)] = m.group(2)
    return config


def read_config(objdir):
    with open(os.path.join(objdir, ".config")) as f:
        return parse_config(f.read())


def object_of(path):
    """The object kbuild makes of a source: mm/gup.c -> mm/gup.o."""
    return path[:-2] + ".o"


def join_continuations(text):
    return re.sub(r"\\\n", " ", text)


class Makefiles:
    """Reads the tree's Makefiles to tell whether a config builds an object, and if not, why."""

    _ASSIGN = re.compile(r"^\s*([\w.-]*(?:\$\(CONFIG_\w+\))?[\w.-]*)\s*[:+]?=\s*(.*)$")

    def __init__(self, read):
        self.read = read
        self._cache = {}

    def assignments(self, directory):
        if directory not in self._cache:
            lines = []
            for name in ("Kbuild", "Makefile"):
                text = self.read(os.path.join(directory, name) if directory else name)
                if text:
                    for line in join_continuations(text).splitlines():
                        m = self._ASSIGN.match(line.split("#", 1)[0])
                        if m:
                            lines.append((m.group(1), m.group(2).split()))
            self._cache[directory] = lines
        return self._cache[directory]

    def enabled(self, path, config):
        """(True | False | None, reason) for the object of source path under config (a dict).

        None means the Makefiles do not say (the object is built and kbuild decides).
        """
        return self._enabled(os.path.dirname(path), os.path.basename(object_of(path)),
                             config, 0)

    def _enabled(self, directory, target, config, depth):
        if depth > 12 or directory in ("", ".") or re.fullmatch(r"arch/[^/]+", directory):
            return True, ""
        reasons = []
        unknown = True
        for lhs, words in self.assignments(directory):
            if target not in words and directory + "/" + target not in words:
                continue
            cond = re.search(r"\$\((CONFIG_\w+)\)", lhs)
            stem = re.sub(r"-(\$\(CONFIG_\w+\)|y|m|objs|objs-y)$", "", lhs)
            if not (cond or lhs.endswith(("-y", "-m", "-objs"))):
                continue
            unknown = False
            if cond and config.get(cond.group(1)) not in ("y", "m"):
                reasons.append("%s not set" % cond.group(1))
                continue
            if stem in ("obj", "lib", "core", "drivers", "libs", "net", "init"):
                parent = os.path.dirname(directory)
                result = self._enabled(parent, os.path.basename(directory) + "/", config,
                                       depth + 1)
                if result[0] is None and parent:
                    result = self._enabled(parent, directory + "/", config, depth + 1)
            else:
                result = self._enabled(directory, stem + ".o", config, depth + 1)
                if result[0] is None:
                    # A list used by reference: kvm-objs-$(CONFIG_KVM_E500V2) := $(kvm-e500-objs)
                    result = self._enabled(directory, "$(%s)" % lhs, config, depth + 1)
            if result[0] is not False:
                return result
            reasons.append(result[1])
        if unknown and target.endswith("/"):
            # A directory the parent does not list may be listed by full path
            # higher up (arch/x86/Makefile lists arch/x86/kvm/ ...): let kbuild say.
            return None, ""
        if unknown:
            return None, ""
        return False, reasons[0]
