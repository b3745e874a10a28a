// SPDX-License-Identifier: GPL-2.0
/*
 * boot_cases: /init of a migration's boot test guest (migrations/<name>/boot/cases).
 *
 * Reads /cases (one case a line: <name> <how> <arguments...>, written by
 * scripts/gupunify/boottest/bootcases.py), runs each case and prints kselftest
 * TAP on the virtio console (hvc0, or gup_tap=<device> from the kernel command
 * line). Each case is framed in the kernel log by "boottest: case <name>
 * start" and "... end" lines written to /dev/kmsg, so that the host can tell
 * which case a WARNING, BUG or Oops came after. Then it reboots, which QEMU's
 * -no-reboot turns into an exit. Run by hand (not as process 1) it reads the
 * cases file named on its command line, writes TAP to stdout and returns.
 *
 * how:
 *   gup_test ARGS  /gup_test (the tree's tools/testing/selftests/vm/gup_test,
 *                  built static) with ARGS; its output becomes "# <name>:" lines
 *   proc_mem N     N pages of our own anonymous memory read and written back
 *                  through /proc/self/mem (access_remote_vm())
 *   vm_readv N     a child reads N pages of its parent with process_vm_readv()
 *                  (pin_user_pages_remote()), after the parent rewrote them
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CASES 64
#define MAX_ARGS 16
#define LINE_MAX_LEN 512

static FILE *tap;
static int kmsg = -1;
static long page_size;

/* A line in the kernel log (the serial console), for the host's scan. */
static void klog(const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (kmsg >= 0 && write(kmsg, buf, strlen(buf)) < 0)
		fprintf(tap, "# kmsg: %s\n", strerror(errno));
}

/* A "# <name>: ..." note, which the host keeps with the case's result. */
static void note(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(tap, "# %s: ", name);
	va_start(ap, fmt);
	vfprintf(tap, fmt, ap);
	va_end(ap);
	fputc('\n', tap);
}

static unsigned char pattern(long page, int round)
{
	return (unsigned char)(page * 7 + round * 13 + 1);
}

static void fill(unsigned char *mem, long pages, int round)
{
	long i;

	for (i = 0; i < pages; i++)
		memset(mem + i * page_size, pattern(i, round), page_size);
}

/* The first page of mem that does not hold round's pattern, or -1. */
static long first_wrong(const unsigned char *mem, long pages, int round)
{
	long i, j;

	for (i = 0; i < pages; i++)
		for (j = 0; j < page_size; j++)
			if (mem[i * page_size + j] != pattern(i, round))
				return i;
	return -1;
}

static int run_gup_test(const char *name, int argc, char **argv)
{
	char *args[MAX_ARGS + 2];
	char line[LINE_MAX_LEN];
	int fds[2], status, i;
	FILE *out;
	pid_t pid;

	args[0] = "/gup_test";
	for (i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	if (pipe(fds)) {
		note(name, "pipe: %s", strerror(errno));
		return 1;
	}
	fflush(tap);
	pid = fork();
	if (pid < 0) {
		note(name, "fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(args[0], args);
		fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = '\0';
		note(name, "%s", line);
	}
	if (out)
		fclose(out);
	if (waitpid(pid, &status, 0) < 0) {
		note(name, "waitpid: %s", strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		note(name, "gup_test killed by signal %d", WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}

static int run_proc_mem(const char *name, long pages)
{
	long size = pages * page_size, wrong;
	unsigned char *mem, *copy;
	int fd, ret = 1;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	copy = malloc(size);
	if (mem == MAP_FAILED || !copy) {
		note(name, "no memory for %ld pages", pages);
		return 1;
	}
	fill(mem, pages, 0);
	fd = open("/proc/self/mem", O_RDWR);
	if (fd < 0) {
		note(name, "open /proc/self/mem: %s", strerror(errno));
		goto out;
	}
	/* read: the kernel pins each page of ours and copies it out */
	if (pread(fd, copy, size, (off_t)(unsigned long)mem) != size) {
		note(name, "pread of %ld pages: %s", pages, strerror(errno));
		goto out_close;
	}
	wrong = first_wrong(copy, pages, 0);
	if (wrong >= 0) {
		note(name, "read: page %ld differs from the memory", wrong);
		goto out_close;
	}
	/* write: the same path with FOLL_WRITE, then seen in the mapping */
	fill(copy, pages, 1);
	if (pwrite(fd, copy, size, (off_t)(unsigned long)mem) != size) {
		note(name, "pwrite of %ld pages: %s", pages, strerror(errno));
		goto out_close;
	}
	wrong = first_wrong(mem, pages, 1);
	if (wrong >= 0) {
		note(name, "write: page %ld not written", wrong);
		goto out_close;
	}
	note(name, "%ld pages read and written through /proc/self/mem", pages);
	ret = 0;
out_close:
	close(fd);
out:
	free(copy);
	munmap(mem, size);
	return ret;
}

static int run_vm_readv(const char *name, long pages)
{
	long size = pages * page_size;
	int go[2], status;
	unsigned char *mem;
	pid_t child;
	char byte = 0;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(go)) {
		note(name, "setup: %s", strerror(errno));
		return 1;
	}
	fill(mem, pages, 0);
	fflush(tap);
	child = fork();
	if (child < 0) {
		note(name, "fork: %s", strerror(errno));
		return 1;
	}
	if (child == 0) {
		/* Our copy keeps round 0: only a read of the parent sees round 1. */
		unsigned char *buf = malloc(size);
		struct iovec local = { buf, size }, remote = { mem, size };
		ssize_t got;
		long wrong;

		if (!buf || read(go[0], &byte, 1) != 1)
			_exit(2);
		got = process_vm_readv(getppid(), &local, 1, &remote, 1, 0);
		if (got != size) {
			note(name, "process_vm_readv: %zd of %ld bytes (%s)", got, size,
			     got < 0 ? strerror(errno) : "short");
			fflush(tap);
			_exit(1);
		}
		wrong = first_wrong(buf, pages, 1);
		if (wrong >= 0) {
			note(name, "page %ld is not the parent's", wrong);
			fflush(tap);
			_exit(1);
		}
		note(name, "%ld pages of the parent read", pages);
		fflush(tap);
		_exit(0);
	}
	fill(mem, pages, 1);
	if (write(go[1], &byte, 1) != 1) {
		note(name, "pipe write: %s", strerror(errno));
		kill(child, SIGKILL);
	}
	if (waitpid(child, &status, 0) < 0) {
		note(name, "waitpid: %s", strerror(errno));
		return 1;
	}
	munmap(mem, size);
	close(go[0]);
	close(go[1]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A count of pages as a case's argument: 1 or more. */
static long pages_arg(const char *name, int argc, char **argv)
{
	char *end;
	long n;

	if (argc != 1) {
		note(name, "wants one argument, the number of pages");
		return -1;
	}
	n = strtol(argv[0], &end, 10);
	if (*end || n < 1) {
		note(name, "not a number of pages: %s", argv[0]);
		return -1;
	}
	return n;
}

static int run_case(const char *name, const char *how, int argc, char **argv)
{
	long pages;

	if (!strcmp(how, "gup_test"))
		return run_gup_test(name, argc, argv);
	if (strcmp(how, "proc_mem") && strcmp(how, "vm_readv")) {
		note(name, "unknown how: %s", how);
		return 1;
	}
	pages = pages_arg(name, argc, argv);
	if (pages < 0)
		return 1;
	return !strcmp(how, "proc_mem") ? run_proc_mem(name, pages) : run_vm_readv(name, pages);
}

/*
 * /dev/kmsg takes ten lines of a process in five seconds, then drops them:
 * the case lines must all reach the log. Without the sysctl the host finds
 * a case's line missing and fails that case.
 */
static void devkmsg_on(void)
{
	int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY);

	if (fd < 0 || write(fd, "on\n", 3) != 3)
		fprintf(stderr, "boot_cases: printk_devkmsg: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void mount_one(const char *what, const char *where)
{
	mkdir(where, 0755);
	if (mount(what, where, what, 0, NULL) && errno != EBUSY)
		fprintf(stderr, "boot_cases: mount %s: %s\n", where, strerror(errno));
}

int main(int argc_main, char **argv_main)
{
	static char lines[MAX_CASES][LINE_MAX_LEN];
	char *argv[MAX_ARGS], *save, *word, *name, *how;
	const char *tap_path = getenv("gup_tap");
	const char *cases_path = "/cases", *halt;
	int n = 0, i, argc, status, failed = 0;
	int init = getpid() == 1;
	char uname_line[LINE_MAX_LEN] = "";
	FILE *cases, *version;

	page_size = sysconf(_SC_PAGESIZE);
	if (init) {
		mount_one("proc", "/proc");
		mount_one("sysfs", "/sys");
		mount_one("devtmpfs", "/dev");
		mount_one("debugfs", "/sys/kernel/debug");
		kmsg = open("/dev/kmsg", O_WRONLY);
		devkmsg_on();
		tap = fopen(tap_path ? tap_path : "/dev/hvc0", "w");
		if (!tap)
			tap = fopen("/dev/console", "w");
		if (!tap)
			return 1;
	} else {
		/* Run by hand (the tests do): TAP on stdout, the cases file named */
		tap = stdout;
		if (argc_main > 1)
			cases_path = argv_main[1];
	}
	setvbuf(tap, NULL, _IOLBF, 0);
	cases = fopen(cases_path, "r");
	while (cases && n < MAX_CASES && fgets(lines[n], LINE_MAX_LEN, cases))
		if (lines[n][strspn(lines[n], " \t\n")] && lines[n][0] != '#')
			n++;
	if (cases)
		fclose(cases);
	fprintf(tap, "TAP version 13\n");
	fprintf(tap, "1..%d\n", n);
	version = fopen("/proc/version", "r");
	if (version && fgets(uname_line, sizeof(uname_line), version))
		fprintf(tap, "# kernel: %s", uname_line);
	if (version)
		fclose(version);
	for (i = 0; i < n; i++) {
		name = strtok_r(lines[i], " \t\n", &save);
		how = strtok_r(NULL, " \t\n", &save);
		for (argc = 0; argc < MAX_ARGS && (word = strtok_r(NULL, " \t\n", &save)); argc++)
			argv[argc] = word;
		klog("boottest: case %s start\n", name);
		status = how ? run_case(name, how, argc, argv) : 1;
		klog("boottest: case %s end, exit status %d\n", name, status);
		if (status) {
			failed++;
			note(name, "exit status %d", status);
		}
		fprintf(tap, "%sok %d %s\n", status ? "not " : "", i + 1, name);
	}
	fprintf(tap, "# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
		n - failed, failed);
	klog("boottest: boot cases exit status %d\n", failed ? 1 : 0);
	fflush(tap);
	if (!init)
		return failed ? 1 : 0;
	sync();
	/* where a restart does not end QEMU (guests.py: sparc64, riscv64) */
	halt = getenv("BOOTTEST_HALT");
	reboot(halt && !strcmp(halt, "poweroff") ? RB_POWER_OFF : RB_AUTOBOOT);
	return 0;
}
