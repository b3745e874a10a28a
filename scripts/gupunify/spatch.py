"""Running the semantic patches of cocci/ over files of a tree."""
import concurrent.futures
import os
import re
import signal
import shutil

from .util import die, progress, run

COCCI_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cocci")
COCCI_DIR = os.path.normpath(COCCI_DIR)
FAST_COCCI = os.path.join(COCCI_DIR, "gup_fast_flags.cocci")
LONGTERM_COCCI = os.path.join(COCCI_DIR, "gup_longterm.cocci")
HINTS = os.path.join(COCCI_DIR, "macro_hints.h")
STANDARD_H = "/usr/lib/coccinelle/standard.h"

# Per file, as the kernel's .cocciconfig has it: one hang must not stop the run.
TIMEOUT = 200


def require_spatch():
    path = shutil.which("spatch")
    if not path:
        die("spatch not found: install Debian's coccinelle package (make deps)")
    return path


def builtins_file(workdir):
    """Coccinelle's standard macro hints with ours applied, written into workdir.

    Debian's standard.h defines FNAME(name) as 'name,', which hides every
    function of arch/x86/kvm/paging_tmpl.h; our hints replace it.
    """
    ours = {}
    with open(HINTS) as f:
        for line in f:
            m = re.match(r"#define\s+(\w+)", line)
            if m:
                ours[m.group(1)] = line
    out = []
    if os.path.exists(STANDARD_H):
        with open(STANDARD_H) as f:
            for line in f:
                m = re.match(r"#define\s+(\w+)", line)
                if not (m and m.group(1) in ours):
                    out.append(line)
    out.extend(ours.values())
    path = os.path.join(workdir, "gup-unify-macros.h")
    with open(path, "w") as f:
        f.writelines(out)
    return path


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _one(cocci, root, relpath, builtins, mode, in_place):
    argv = ["spatch", "--sp-file", cocci, "-D", mode, "--very-quiet",
            "--include-headers", "--no-includes",
            "--macro-file-builtins", builtins, "--timeout", str(TIMEOUT)]
    argv += ["--in-place", relpath] if in_place else [relpath]
    rc, out, err = run(argv, cwd=root, check=False, timeout=TIMEOUT + 60)
    return relpath, rc, out, err


def apply(cocci, root, files, workdir, mode="patch", in_place=True, jobs=None):
    """Run cocci over files (relative to root), one spatch per file in parallel.

    Returns {relpath: (returncode, stdout, stderr)}. spatch's exit status
    says nothing about matches; a non-zero one means the file failed
    (timeout, or a rewrite spatch refused) and its sites need the fallback.
    """
    require_spatch()
    builtins = builtins_file(workdir)
    jobs = jobs or os.cpu_count() or 1
    results = {}
    if not files:
        return results
    with concurrent.futures.ProcessPoolExecutor(jobs, initializer=_ignore_sigint) as pool:
        # Ctrl-C while the pool forks would land in a fork handler and print
        # a traceback: hold it until the workers exist, then take it here.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            futures = [pool.submit(_one, cocci, root, f, builtins, mode, in_place)
                       for f in files]
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        step = max(10, len(files) // 10)
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            relpath, rc, out, err = fut.result()
            results[relpath] = (rc, out, err)
            if done % step == 0 or done == len(files):
                progress("%s: %d/%d files" % (os.path.basename(cocci), done, len(files)))
    return results


def unparsed_lines(root, relpath, workdir):
    """How many lines of relpath spatch could not parse (its --parse-c 'bad' lines)."""
    builtins = builtins_file(workdir)
    _, out, err = run(["spatch", "--parse-c", "--include-headers", "--no-includes",
                       "--macro-file-builtins", builtins, relpath], cwd=root, check=False,
                      timeout=TIMEOUT + 60)
    return sum(1 for line in (out + err).splitlines()
               if line.startswith(("bad:", "BAD:")))
