/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ioctl interface of gup_unify_test.ko, shared by the module and
 * gup_test.c: what gup_benchmark cannot express (any gup_flags value,
 * the exact return code, a write through the pinned pages).
 */
#ifndef GUP_UNIFY_TEST_H
#define GUP_UNIFY_TEST_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

/* Request flags, translated by the module into the kernel's API. */
#define GUT_WRITE	0x1	/* FOLL_WRITE (the old "write" argument: 1) */
#define GUT_LONGTERM	0x2	/* FOLL_LONGTERM (old: get_user_pages_longterm()) */
#define GUT_FORCE	0x4	/* FOLL_FORCE, which the fast path does not support */

/* What the module was built against, in gut_req.api. */
#define GUT_API_GUP_FLAGS	0x1	/* get_user_pages_fast() takes gup_flags */
#define GUT_API_LONGTERM_FAST	0x2	/* GUT_LONGTERM reaches the fast path */
#define GUT_API_FAST_ONLY	0x4	/* get_user_pages_fast_only() exists */

struct gut_req {
	__u64 addr;		/* in: user address, page aligned */
	__u32 nr_pages;		/* in */
	__u32 flags;		/* in: GUT_* */
	__u32 poke;		/* in: nonzero: fill each pinned page with this byte */
	__s32 ret;		/* out: what the GUP call returned */
	__u32 gup_flags;	/* out: the gup_flags (or write) value passed */
	__u32 api;		/* out: GUT_API_* */
};

#define GUT_FAST	_IOWR('G', 1, struct gut_req)	/* get_user_pages_fast() */
#define GUT_SLOW	_IOWR('G', 2, struct gut_req)	/* get_user_pages() */
/* get_user_pages_fast_only(), called with preemption and interrupts off */
#define GUT_FAST_ONLY	_IOWR('G', 3, struct gut_req)

#define GUT_DEBUGFS	"/sys/kernel/debug/gup_unify_test"

#endif
