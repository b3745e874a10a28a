// SPDX-License-Identifier: GPL-2.0
/*
 * gup_test: runs inside the boottest guest and checks what the gup-unify
 * series promises, through /sys/kernel/debug/gup_benchmark and, where that
 * interface cannot say it, through gup_unify_test.ko (module/).  Output is
 * TAP, kselftest style.  "# <test>: ..." lines record what a kernel did, so
 * that the harness can put the base and the patched kernel side by side;
 * a feature the kernel does not have is a SKIP, never a FAIL.
 *
 * Usage: gup_test [-d DAXDIR]   (DAXDIR: an ext2 mounted with -o dax)
 *
 * As /init (pid 1, on arches with no busybox at hand) it does what
 * boottest/init does: mounts, loads the module, mounts the DAX file system
 * the host wrote to the guest's pmem, if it has one, runs the tests with
 * TAP on the virtio console and reboots.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "module/gup_unify_test.h"

#define GUP_BENCHMARK_PATH	"/sys/kernel/debug/gup_benchmark"
#define GUP_FAST_BENCHMARK	_IOWR('g', 1, struct gup_benchmark)
#define GUP_LONGTERM_BENCHMARK	_IOWR('g', 2, struct gup_benchmark)
#define GUP_BENCHMARK		_IOWR('g', 3, struct gup_benchmark)
#define GUP_FAST_LONGTERM_BENCHMARK	_IOWR('g', 4, struct gup_benchmark)

/* mm/gup_benchmark.c's ioctl argument. */
struct gup_benchmark {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 flags;
	__u64 expansion[10];
};

#define NR_PAGES	64		/* pages in each mapping under test */
#define TIMING_MIB	128		/* buffer of the timing test, at most */
#define TIMING_PER_CALL	512		/* pages per GUP call when timing */
#define TIMING_RUNS	15

enum status { PASS, FAIL, SKIP };

struct result {
	enum status status;
	char why[512];
};

static const char *current_test;
static long page_size;
static int bench_fd = -1;
static int module_fd = -1;
static const char *dax_dir;
/* Why a guest with gup_test as /init has no DAX: the harness's /nodax. */
static char no_dax[256] = "no DAX filesystem";
/*
 * gup_fast_only=none on the kernel command line (init's environment): the
 * harness found this kernel on the mm/util.c __weak family, whose fast-only
 * GUP pins nothing and returns 0 by contract.
 */
static int fast_only_pins_none;

/* A diagnostic line about the running test, kept by the harness. */
static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# %s: ", current_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void set_result(struct result *r, enum status status,
		       const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* End the running case with status and why when cond holds. */
#define END_IF(r, status, cond, ...)					\
	do {								\
		if (cond) {						\
			set_result(r, status, __VA_ARGS__);		\
			return;						\
		}							\
	} while (0)
#define FAIL_IF(r, cond, ...) END_IF(r, FAIL, cond, __VA_ARGS__)
#define SKIP_IF(r, cond, ...) END_IF(r, SKIP, cond, __VA_ARGS__)

/*
 * Run one gup_benchmark command over [addr, addr + size).  With one page
 * per call, the returned size counts exactly the pages pinned before the
 * first call that failed.  Returns 0 or -errno of the ioctl itself.
 */
static int bench(unsigned long cmd, void *addr, size_t size,
		 unsigned int per_call, int write, struct gup_benchmark *gup)
{
	memset(gup, 0, sizeof(*gup));
	gup->addr = (unsigned long)addr;
	gup->size = size;
	gup->nr_pages_per_call = per_call;
	gup->flags = write ? 1 : 0;
	if (ioctl(bench_fd, cmd, gup))
		return -errno;
	return 0;
}

/* Pages of a one-page-per-call benchmark run that were pinned, or -errno. */
static long bench_pinned(unsigned long cmd, void *addr, int write)
{
	struct gup_benchmark gup;
	int err = bench(cmd, addr, NR_PAGES * page_size, 1, write, &gup);

	if (err)
		return err;
	return gup.size / page_size;
}

/* A GUP call through the module; returns what the call returned. */
static int module_gup(unsigned long cmd, void *addr, unsigned int flags,
		      unsigned int poke, struct gut_req *req)
{
	memset(req, 0, sizeof(*req));
	req->addr = (unsigned long)addr;
	req->nr_pages = NR_PAGES;
	req->flags = flags;
	req->poke = poke;
	if (ioctl(module_fd, cmd, req))
		return -errno;
	return req->ret;
}

static const char *errname(long ret)
{
	switch (-ret) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	default: return ret < 0 ? "errno" : "pages";
	}
}

/* A private writable anonymous mapping with every page present. */
static char *map_anon(size_t size)
{
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, size);
	return p;
}

/* A read-only shared mapping of a file written here, pages faulted in. */
static char *map_ro_file(void)
{
	size_t size = NR_PAGES * page_size;
	const char *path = "/gup_test.ro";
	char *buf = malloc(size);
	volatile char sum = 0;
	char *p = NULL;
	size_t i;
	int fd;

	if (!buf)
		return NULL;
	memset(buf, 0x33, size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && write(fd, buf, size) == (ssize_t)size) {
		close(fd);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				p = NULL;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	for (i = 0; p && i < size; i += page_size)
		sum += p[i];
	(void)sum;
	return p;
}

/* True when dir's filesystem is mounted with -o dax, per /proc/mounts. */
static int dir_is_dax(const char *dir)
{
	char dev[256], mnt[256], type[64], opts[512];
	int found = 0;
	FILE *f = fopen("/proc/mounts", "r");

	if (!f)
		return 0;
	while (fscanf(f, "%255s %255s %63s %511s %*d %*d",
		      dev, mnt, type, opts) == 4) {
		if (!strcmp(mnt, dir))
			found = strstr(opts, "dax") != NULL;
	}
	fclose(f);
	return found;
}

/*
 * A shared writable mapping of a new file on the DAX filesystem, faulted
 * in: a new file each time, so that no case sees pages an earlier one
 * pinned.
 */
static char *map_dax(void)
{
	size_t size = NR_PAGES * page_size;
	static int files;
	char path[512];
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/gup_test.%d.dax", dax_dir, files++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, size)) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x77, size);
	return p;
}

#define NEED_BENCH(r)							\
	SKIP_IF(r, bench_fd < 0, "no %s (CONFIG_GUP_BENCHMARK, debugfs)",	\
		GUP_BENCHMARK_PATH)

#define NEED_MODULE(r)							\
	SKIP_IF(r, module_fd < 0, "no %s (gup_unify_test.ko not loaded)",	\
		GUT_DEBUGFS)

#define NEED_DAX(r)							\
	do {								\
		SKIP_IF(r, getpid() == 1 && !dax_dir,			\
			"no pmem in this guest: %s", no_dax);		\
		SKIP_IF(r, !dax_dir || !dir_is_dax(dax_dir),		\
			"no filesystem mounted -o dax (-d DAXDIR)");	\
	} while (0)

/* n pages pinned by the gup_benchmark command what names: all NR_PAGES or a FAIL. */
static void expect_all_pinned(struct result *r, const char *what, long n)
{
	note("gup_benchmark %s pinned %ld/%d", what, n, NR_PAGES);
	if (n != NR_PAGES)
		set_result(r, FAIL, "pinned %ld of %d pages", n, NR_PAGES);
}

/*
 * Pin the NR_PAGES pages at p (NULL: the mapping failed, why in errno, as
 * mapped says) through a gup_benchmark command, expecting all of them.
 */
static void expect_mapping_pinned(struct result *r, const char *mapped, char *p,
				  unsigned long cmd, int write, const char *what)
{
	FAIL_IF(r, !p, "%s: %s", mapped, strerror(errno));
	expect_all_pinned(r, what, bench_pinned(cmd, p, write));
	munmap(p, NR_PAGES * page_size);
}

/*
 * True, with r a SKIP, when n says the kernel's gup_benchmark has no
 * long-term fast command (a base kernel: no FOLL_LONGTERM in the fast path).
 */
static int fast_longterm_missing(struct result *r, long n)
{
	if (n != -EINVAL)
		return 0;
	note("GUP_FAST_LONGTERM_BENCHMARK: EINVAL");
	set_result(r, SKIP, "gup_benchmark has no "
		   "GUP_FAST_LONGTERM_BENCHMARK (no FOLL_LONGTERM in the fast path)");
	return 1;
}

/* Fast GUP with FOLL_WRITE pins every page of a private writable mapping. */
static void fast_write_private_pins_all(struct result *r)
{
	NEED_BENCH(r);
	expect_mapping_pinned(r, "mmap", map_anon(NR_PAGES * page_size),
			      GUP_FAST_BENCHMARK, 1, "fast write");
}

/* A write through pages pinned by fast GUP with FOLL_WRITE reaches user space. */
static void fast_write_pin_write_seen(struct result *r)
{
	struct gut_req req;
	char *p;
	long i;
	int ret;

	NEED_MODULE(r);
	p = map_anon(NR_PAGES * page_size);
	FAIL_IF(r, !p, "mmap: %s", strerror(errno));
	ret = module_gup(GUT_FAST, p, GUT_WRITE, 0xa5, &req);
	note("get_user_pages_fast(%#x) returned %d", req.gup_flags, ret);
	FAIL_IF(r, ret != NR_PAGES, "pinned %d of %d pages", ret, NR_PAGES);
	for (i = 0; i < NR_PAGES * page_size; i++)
		FAIL_IF(r, (unsigned char)p[i] != 0xa5,
			"byte %ld reads %#x, not the 0xa5 written through the pin",
			i, (unsigned char)p[i]);
	note("0xa5 written by the kernel seen in all %d pages", NR_PAGES);
	munmap(p, NR_PAGES * page_size);
}

/* Fast GUP with 0 pins the pages of a read-only mapping. */
static void fast_read_ro_mapping_pins(struct result *r)
{
	NEED_BENCH(r);
	expect_mapping_pinned(r, "read-only file mapping", map_ro_file(),
			      GUP_FAST_BENCHMARK, 0, "fast read");
}

/* Fast GUP with FOLL_WRITE does not pin a page of a read-only mapping. */
static void fast_write_ro_mapping_refused(struct result *r)
{
	struct gut_req req;
	char *p;
	long n;
	int ret;

	NEED_BENCH(r);
	p = map_ro_file();
	FAIL_IF(r, !p, "read-only file mapping: %s", strerror(errno));
	n = bench_pinned(GUP_FAST_BENCHMARK, p, 1);
	note("gup_benchmark fast write pinned %ld/%d", n, NR_PAGES);
	FAIL_IF(r, n != 0, "pinned %ld read-only pages for write", n);
	if (module_fd >= 0) {
		ret = module_gup(GUT_FAST, p, GUT_WRITE, 0, &req);
		note("get_user_pages_fast(%#x) returned %d (%s)",
		     req.gup_flags, ret, errname(ret));
		FAIL_IF(r, ret >= 0, "returned %d, not an error", ret);
	}
	munmap(p, NR_PAGES * page_size);
}

/* The fast path refuses a flag it does not support (FOLL_FORCE) with -EINVAL. */
static void fast_unsupported_flag_einval(struct result *r)
{
	struct gut_req req;
	char *p;
	int ret;

	NEED_MODULE(r);
	p = map_anon(NR_PAGES * page_size);
	FAIL_IF(r, !p, "mmap: %s", strerror(errno));
	ret = module_gup(GUT_FAST, p, GUT_FORCE, 0, &req);
	munmap(p, NR_PAGES * page_size);
	if (!(req.api & GUT_API_GUP_FLAGS)) {
		note("int write = FOLL_FORCE (%#x) returned %d (%s)",
		     req.gup_flags, ret, errname(ret));
		set_result(r, SKIP, "get_user_pages_fast() takes int write: "
			   "FOLL_FORCE read as write, returned %d", ret);
		return;
	}
	note("get_user_pages_fast(FOLL_FORCE %#x) returned %d (%s)",
	     req.gup_flags, ret, errname(ret));
	FAIL_IF(r, ret != -EINVAL, "returned %d, not -EINVAL", ret);
}

/*
 * get_user_pages_fast_only(), called with preemption and interrupts off,
 * pins the resident pages and returns short at the first one that is not,
 * without sleeping to fault it in: the untouched pages stay non-resident.
 */
static void fast_only_atomic_short(struct result *r)
{
	size_t size = NR_PAGES * page_size;
	unsigned char vec[NR_PAGES];
	struct gut_req req;
	int ret, i, faulted = 0;
	size_t b;
	char *p;

	NEED_MODULE(r);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FAIL_IF(r, p == MAP_FAILED, "mmap: %s", strerror(errno));
	memset(p, 0x5a, size / 2);
	ret = module_gup(GUT_FAST_ONLY, p, GUT_WRITE, 0xc3, &req);
	if (!(req.api & GUT_API_FAST_ONLY)) {
		munmap(p, size);
		set_result(r, SKIP, "no get_user_pages_fast_only() in this kernel");
		return;
	}
	note("get_user_pages_fast_only(%#x), interrupts off, returned %d "
	     "(%d of %d pages resident)", req.gup_flags, ret, NR_PAGES / 2,
	     NR_PAGES);
	if (fast_only_pins_none) {
		note("the __weak fallback family (mm/util.c): 0 pages pinned "
		     "by contract");
		FAIL_IF(r, ret != 0, "returned %d (%s), not the 0 of the __weak "
			"fallback", ret, errname(ret));
	} else {
		FAIL_IF(r, ret != NR_PAGES / 2, "returned %d (%s), not the %d "
			"resident pages", ret, errname(ret), NR_PAGES / 2);
	}
	for (b = 0; b < size / 2; b++)
		FAIL_IF(r, (unsigned char)p[b] != (ret ? 0xc3 : 0x5a),
			"byte %zu reads %#x, not the %#x %s", b,
			(unsigned char)p[b], ret ? 0xc3 : 0x5a,
			ret ? "written through the pin" : "written before, unpinned");
	FAIL_IF(r, mincore(p, size, vec), "mincore: %s", strerror(errno));
	for (i = NR_PAGES / 2; i < NR_PAGES; i++)
		faulted += vec[i] & 1;
	note("%d of the %d untouched pages resident afterwards", faulted,
	     NR_PAGES / 2);
	FAIL_IF(r, faulted, "%d untouched pages were faulted in: it fell back",
		faulted);
	munmap(p, size);
}

/* FOLL_LONGTERM through get_user_pages() pins ordinary anonymous memory. */
static void longterm_gup_anon_pins(struct result *r)
{
	NEED_BENCH(r);
	expect_mapping_pinned(r, "mmap", map_anon(NR_PAGES * page_size),
			      GUP_LONGTERM_BENCHMARK, 1, "longterm (get_user_pages)");
}

/* FOLL_LONGTERM through get_user_pages_fast() pins ordinary anonymous memory. */
static void longterm_fast_anon_pins(struct result *r)
{
	char *p;
	long n;

	NEED_BENCH(r);
	p = map_anon(NR_PAGES * page_size);
	FAIL_IF(r, !p, "mmap: %s", strerror(errno));
	n = bench_pinned(GUP_FAST_LONGTERM_BENCHMARK, p, 1);
	munmap(p, NR_PAGES * page_size);
	if (!fast_longterm_missing(r, n))
		expect_all_pinned(r, "fast longterm", n);
}

/* Control: without FOLL_LONGTERM, fast GUP pins the DAX file's pages. */
static void dax_fast_pins_without_longterm(struct result *r)
{
	NEED_BENCH(r);
	NEED_DAX(r);
	expect_mapping_pinned(r, "DAX file mapping", map_dax(),
			      GUP_FAST_BENCHMARK, 1, "fast write on DAX");
}

/* Control: without FOLL_LONGTERM, get_user_pages() pins the DAX file's pages. */
static void dax_slow_pins_without_longterm(struct result *r)
{
	NEED_BENCH(r);
	NEED_DAX(r);
	expect_mapping_pinned(r, "DAX file mapping", map_dax(),
			      GUP_BENCHMARK, 1, "get_user_pages write on DAX");
}

/*
 * The DAX refusals go through the module only: after a refused call, the
 * base kernel's gup_benchmark puts the pages of its array that the kernel
 * had already released, taking the first DAX page's refcount to 0 (v5.1.15's
 * try_get_page() then refuses that page to every later GUP call).  Core
 * patch 1/9 fixes that; the base kernel must be tested as it is.
 */

/*
 * The module's long-term write GUP (how: GUT_SLOW or GUT_FAST) on a fresh
 * DAX mapping, its return in *ret; 0 when there is no mapping (r: FAIL).
 */
static int dax_longterm_gup(struct result *r, int how, struct gut_req *req,
			    int *ret)
{
	char *p = map_dax();

	if (!p) {
		set_result(r, FAIL, "DAX file mapping: %s", strerror(errno));
		return 0;
	}
	*ret = module_gup(how, p, GUT_WRITE | GUT_LONGTERM, 0, req);
	munmap(p, NR_PAGES * page_size);
	return 1;
}

/* FOLL_LONGTERM through get_user_pages() is refused for a DAX file. */
static void longterm_gup_dax_refused(struct result *r)
{
	struct gut_req req;
	int ret;

	NEED_MODULE(r);
	NEED_DAX(r);
	if (!dax_longterm_gup(r, GUT_SLOW, &req, &ret))
		return;
	note("%s returned %d (%s)", req.api & GUT_API_GUP_FLAGS ?
	     "get_user_pages(FOLL_WRITE | FOLL_LONGTERM)" :
	     "get_user_pages_longterm(FOLL_WRITE)", ret, errname(ret));
	FAIL_IF(r, ret != -EOPNOTSUPP, "returned %d, not -EOPNOTSUPP", ret);
}

/* FOLL_LONGTERM through get_user_pages_fast() is refused for a DAX file. */
static void longterm_fast_dax_refused(struct result *r)
{
	struct gut_req req;
	int ret;

	NEED_MODULE(r);
	NEED_DAX(r);
	if (!dax_longterm_gup(r, GUT_FAST, &req, &ret))
		return;
	if (!(req.api & GUT_API_LONGTERM_FAST)) {
		note("get_user_pages_fast(write=%u) on the DAX pages returned %d (%s)",
		     req.gup_flags, ret, errname(ret));
		set_result(r, SKIP, "no FOLL_LONGTERM in the fast path: it pinned "
			   "%d/%d DAX pages", ret, NR_PAGES);
		return;
	}
	note("get_user_pages_fast(FOLL_WRITE | FOLL_LONGTERM) returned %d (%s)",
	     ret, errname(ret));
	FAIL_IF(r, ret != -EOPNOTSUPP, "returned %d, not -EOPNOTSUPP", ret);
}

/* The huge page size in bytes from /proc/meminfo, or 0. */
static long huge_page_size(void)
{
	char line[128];
	long kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/*
 * One huge page, mapped private and writable and faulted in, or NULL with
 * why in r (a SKIP: the kernel has no hugetlb pages to give).
 */
static char *map_hugetlb(struct result *r)
{
	long size = huge_page_size();
	char mmu[128] = "?", line[128];
	FILE *f;
	char *p;
	int fd;

	if (!size) {
		set_result(r, SKIP, "no hugetlb pages (no Hugepagesize in /proc/meminfo: "
			   "CONFIG_HUGETLBFS off)");
		return NULL;
	}
	/*
	 * One page in the pool, unless the command line reserved some; the
	 * write goes at offset 0, as sysctl ignores one further on.
	 */
	fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	if (fd >= 0) {
		if (read(fd, line, sizeof(line)) > 0 && atoi(line) == 0 &&
		    (lseek(fd, 0, SEEK_SET) || write(fd, "1", 1) != 1))
			note("nr_hugepages: %s", strerror(errno));
		close(fd);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		set_result(r, SKIP, "no hugetlb page of %ld kB to map: %s",
			   size >> 10, strerror(errno));
		return NULL;
	}
	memset(p, 0x5a, size);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MMU : %127[^\n]", mmu) == 1)
			break;
	if (f)
		fclose(f);
	note("hugetlb page of %ld kB, base page %ld kB, MMU %s", size >> 10,
	     page_size >> 10, mmu);
	return p;
}

/*
 * One huge page mapped and pinned by a gup_benchmark command, the pages (or
 * -errno) in *n; 0 when there is no huge page (r holds the SKIP).
 */
static int hugetlb_pinned(struct result *r, unsigned long cmd, long *n)
{
	char *p;

	p = map_hugetlb(r);
	if (!p)
		return 0;
	*n = bench_pinned(cmd, p, 1);
	munmap(p, huge_page_size());
	return 1;
}

/*
 * Fast GUP with FOLL_WRITE pins every base page of a hugetlb page: on
 * powerpc's hash MMU with 4K pages a 16M page hangs off a hugepd, so the
 * walk is gup_huge_pd() and gup_hugepte().
 */
static void hugetlb_fast_write_pins_all(struct result *r)
{
	long n;

	NEED_BENCH(r);
	if (hugetlb_pinned(r, GUP_FAST_BENCHMARK, &n))
		expect_all_pinned(r, "fast write on hugetlb", n);
}

/* FOLL_LONGTERM through get_user_pages_fast() pins a hugetlb page. */
static void hugetlb_longterm_fast_pins(struct result *r)
{
	long n;

	NEED_BENCH(r);
	if (hugetlb_pinned(r, GUP_FAST_LONGTERM_BENCHMARK, &n) &&
	    !fast_longterm_missing(r, n))
		expect_all_pinned(r, "fast longterm on hugetlb", n);
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * TIMING_MIB, halved until it is at most half of the guest's memory: sh4's
 * r2d has 64 MiB in all, and pinning all of it would only time the OOM.
 */
static int timing_mib(void)
{
	long long ram = (long long)sysconf(_SC_PHYS_PAGES) * page_size;
	int mib = TIMING_MIB;

	while (mib > 1 && ((long long)mib << 21) > ram)
		mib /= 2;
	return mib;
}

/*
 * gup_benchmark's fast and slow timings over the same buffer, interleaved:
 * the minimum (the least disturbed run, what a noisy TCG host leaves
 * comparable) and the median.  Reported for the harness, never asserted.
 */
static void gup_benchmark_timings(struct result *r)
{
	int mib = timing_mib();
	size_t size = (size_t)mib << 20;
	unsigned long cmds[2] = { GUP_FAST_BENCHMARK, GUP_BENCHMARK };
	__u64 get[2][TIMING_RUNS], put[2][TIMING_RUNS];
	struct gup_benchmark gup;
	char *p;
	int c, i, err;

	NEED_BENCH(r);
	p = map_anon(size);
	FAIL_IF(r, !p, "mmap %d MiB: %s", mib, strerror(errno));
	for (i = 0; i < TIMING_RUNS; i++) {
		for (c = 0; c < 2; c++) {
			err = bench(cmds[c], p, size, TIMING_PER_CALL, 1, &gup);
			FAIL_IF(r, err, "gup_benchmark: %s", strerror(-err));
			FAIL_IF(r, gup.size != size, "pinned %llu of %zu bytes",
				(unsigned long long)gup.size, size);
			get[c][i] = gup.get_delta_usec;
			put[c][i] = gup.put_delta_usec;
		}
	}
	munmap(p, size);
	for (c = 0; c < 2; c++) {
		qsort(get[c], TIMING_RUNS, sizeof(__u64), cmp_u64);
		qsort(put[c], TIMING_RUNS, sizeof(__u64), cmp_u64);
	}
	note("%d MiB, %d pages per call, %d runs: minimum and median", mib,
	     TIMING_PER_CALL, TIMING_RUNS);
	printf("# timing: fast_get_min_usec=%llu fast_get_usec=%llu fast_put_usec=%llu "
	       "slow_get_min_usec=%llu slow_get_usec=%llu slow_put_usec=%llu "
	       "size_mib=%d per_call=%d runs=%d\n",
	       (unsigned long long)get[0][0],
	       (unsigned long long)get[0][TIMING_RUNS / 2],
	       (unsigned long long)put[0][TIMING_RUNS / 2],
	       (unsigned long long)get[1][0],
	       (unsigned long long)get[1][TIMING_RUNS / 2],
	       (unsigned long long)put[1][TIMING_RUNS / 2],
	       mib, TIMING_PER_CALL, TIMING_RUNS);
}

/* Print one line of the guest's own on the console (the kernel log's channel). */
static void say(const char *fmt, ...)
{
	va_list ap;

	fputs("boottest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The first line of a file, newline dropped, or "?". */
static void read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, size, f))
		snprintf(buf, size, "?");
	buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Write text to a sysfs file; 0 or -errno. */
static int write_sysfs(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Give a labelled pmem region its namespace, as ndctl create-namespace
 * would: a dimm that takes namespace labels (NDD_ALIASING: PAPR SCM) has
 * none until one is written, and libnvdimm offers a seed namespace of size
 * 0 for it.  The seed gets a uuid and the whole region, which labels it
 * (the kernel writes the label index itself on first use), then nd_pmem
 * binds to it: its data starts at the region's start, where the host
 * wrote the file system.  0 or why not in no_dax.
 */
static int label_pmem_namespace(void)
{
	const char *bus = "/sys/bus/nd/devices";
	char region[32], seed[32], size[32], path[128];
	struct dirent *d;
	DIR *dir = opendir(bus);
	int err;

	if (!dir) {
		snprintf(no_dax, sizeof(no_dax), "no /dev/pmem0 and no %s", bus);
		return -1;
	}
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "region", 6))
			break;
	snprintf(region, sizeof(region), "%.31s", d ? d->d_name : "");
	closedir(dir);
	if (!region[0]) {
		snprintf(no_dax, sizeof(no_dax), "no /dev/pmem0 and no nvdimm region");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/namespace_seed", bus, region);
	read_line(path, seed, sizeof(seed));
	snprintf(path, sizeof(path), "%s/%s/available_size", bus, region);
	read_line(path, size, sizeof(size));
	say("%s: namespace seed %s, %s bytes unlabelled", region, seed, size);
	snprintf(path, sizeof(path), "%s/%s", bus, seed);
	err = write_sysfs(path, "uuid", "3f1a5c2e-8d47-4b6a-9e10-2c7d5b8a4f61");
	if (!err)
		err = write_sysfs(path, "size", size);
	if (!err)
		err = write_sysfs("/sys/bus/nd/drivers/nd_pmem", "bind", seed);
	if (err) {
		snprintf(no_dax, sizeof(no_dax), "labelling %s of %s: %s", seed,
			 region, strerror(-err));
		return -1;
	}
	return 0;
}

/*
 * The DAX file system of a guest with no shell: the host wrote an ext2
 * image as the backing file of the guest's pmem, so there is nothing to
 * make, only to mount -o dax.  Sets dax_dir, or says why not in no_dax.
 */
static void mount_dax(void)
{
	if (access("/dev/pmem0", F_OK) && label_pmem_namespace())
		goto out;
	if (mount("/dev/pmem0", "/mnt", "ext2", 0, "dax")) {
		snprintf(no_dax, sizeof(no_dax), "mount -t ext2 -o dax /dev/pmem0: %s",
			 strerror(errno));
		goto out;
	}
	dax_dir = "/mnt";
	say("ext2 on /dev/pmem0 mounted -o dax on %s", dax_dir);
	return;
out:
	say("no DAX file system: %s", no_dax);
}

/* boottest/init's work, for a guest with no shell. */
static void be_init(void)
{
	/*
	 * The virtio console is hvc0 unless the machine's own console is an
	 * hvc too (pseries): the harness then names it on the kernel command
	 * line, which hands gup_tap=... to init's environment.
	 */
	const char *tap = getenv("gup_tap") ? getenv("gup_tap") : "/dev/hvc0";
	char line[128];
	int fd;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	read_line("/proc/uptime", line, sizeof(line));
	say("init at uptime %s", line);
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  line, sizeof(line));
	say("clocksource %s", line);
	fd = open("/gup_unify_test.ko", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || syscall(SYS_finit_module, fd, "", 0))
		say("insmod gup_unify_test.ko failed: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (!access("/gup_fast_only", R_OK)) {
		/* boottest/init's export, for a guest with no shell */
		read_line("/gup_fast_only", line, sizeof(line));
		setenv("gup_fast_only", line, 1);
	}
	if (!access("/nodax", R_OK))
		read_line("/nodax", no_dax, sizeof(no_dax));
	else
		mount_dax();
	fd = open(tap, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		fflush(stdout);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	} else {
		say("no %s: TAP on the console", tap);
	}
}

#define TEST(fn) { #fn, fn }

static const struct {
	const char *name;
	void (*fn)(struct result *r);
} tests[] = {
	TEST(fast_write_private_pins_all),
	TEST(fast_write_pin_write_seen),
	TEST(fast_read_ro_mapping_pins),
	TEST(fast_write_ro_mapping_refused),
	TEST(fast_unsupported_flag_einval),
	TEST(fast_only_atomic_short),
	TEST(longterm_gup_anon_pins),
	TEST(longterm_fast_anon_pins),
	TEST(dax_fast_pins_without_longterm),
	TEST(dax_slow_pins_without_longterm),
	TEST(longterm_gup_dax_refused),
	TEST(longterm_fast_dax_refused),
	TEST(hugetlb_fast_write_pins_all),
	TEST(hugetlb_longterm_fast_pins),
	TEST(gup_benchmark_timings),
};

int main(int argc, char **argv)
{
	int n = sizeof(tests) / sizeof(tests[0]);
	int counts[3] = { 0, 0, 0 };
	struct utsname u;
	char uptime[64] = "?";
	FILE *f;
	int i, opt;

	while ((opt = getopt(argc, argv, "d:")) != -1) {
		if (opt != 'd') {
			fprintf(stderr, "usage: %s [-d DAXDIR]\n", argv[0]);
			return 2;
		}
		dax_dir = optarg;
	}
	if (getpid() == 1)
		be_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	fast_only_pins_none = getenv("gup_fast_only") &&
			      !strcmp(getenv("gup_fast_only"), "none");
	bench_fd = open(GUP_BENCHMARK_PATH, O_RDWR);
	module_fd = open(GUT_DEBUGFS, O_RDWR);
	f = fopen("/proc/uptime", "r");
	if (f) {
		if (!fgets(uptime, sizeof(uptime), f))
			strcpy(uptime, "?");
		uptime[strcspn(uptime, " \n")] = '\0';
		fclose(f);
	}

	printf("TAP version 13\n");
	if (!uname(&u))
		printf("# kernel: %s %s\n", u.release, u.version);
	printf("# uptime: %s\n", uptime);
	printf("1..%d\n", n);
	for (i = 0; i < n; i++) {
		struct result r = { PASS, "" };

		current_test = tests[i].name;
		tests[i].fn(&r);
		counts[r.status]++;
		if (r.status == SKIP) {
			printf("ok %d %s # SKIP %s\n", i + 1, current_test, r.why);
			continue;
		}
		if (r.status == FAIL)
			note("%s", r.why);
		printf("%sok %d %s\n", r.status == FAIL ? "not " : "", i + 1,
		       current_test);
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       counts[PASS], counts[FAIL], counts[SKIP]);
	if (getpid() == 1) {
		const char *halt = getenv("BOOTTEST_HALT");

		/*
		 * What boottest/init prints, then QEMU's -no-reboot ends the
		 * run.  Where the firmware restarts the kernel itself instead
		 * of resetting the machine (sun4u's OpenBIOS), the kernel
		 * command line asks for a power-off (BOOTTEST_HALT=poweroff,
		 * in init's environment).
		 */
		fflush(stdout);
		say("gup_test exit status %d", counts[FAIL] ? 1 : 0);
		sync();
		reboot(halt && !strcmp(halt, "poweroff") ? RB_POWER_OFF :
		       RB_AUTOBOOT);
	}
	return counts[FAIL] ? 1 : 0;
}
