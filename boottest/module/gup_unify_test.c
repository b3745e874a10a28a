// SPDX-License-Identifier: GPL-2.0
/*
 * gup_unify_test: pins user pages the way a driver would, for cases
 * gup_benchmark cannot express.  It builds against a tree before the
 * gup-unify series (get_user_pages_fast() takes "int write", long-term
 * pins go through get_user_pages_longterm()) and after it (gup_flags,
 * FOLL_LONGTERM), and says which one in gut_req.api.
 */
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "gup_unify_test.h"

#define GUT_MAX_PAGES	65536

static struct dentry *gut_dentry;

#ifdef FOLL_LONGTERM
#define GUT_API	(GUT_API_GUP_FLAGS | GUT_API_LONGTERM_FAST)

static unsigned int gut_gup_flags(u32 flags)
{
	unsigned int gup_flags = 0;

	if (flags & GUT_WRITE)
		gup_flags |= FOLL_WRITE;
	if (flags & GUT_LONGTERM)
		gup_flags |= FOLL_LONGTERM;
	if (flags & GUT_FORCE)
		gup_flags |= FOLL_FORCE;
	return gup_flags;
}

static long gut_fast(struct gut_req *req, struct page **pages)
{
	req->gup_flags = gut_gup_flags(req->flags);
	return get_user_pages_fast(req->addr, req->nr_pages, req->gup_flags,
				   pages);
}

static long gut_slow(struct gut_req *req, struct page **pages)
{
	req->gup_flags = gut_gup_flags(req->flags);
	return get_user_pages(req->addr, req->nr_pages, req->gup_flags, pages,
			      NULL);
}
#else
#define GUT_API	0

/*
 * The old fast path has no FOLL_LONGTERM: GUT_LONGTERM is dropped, so the
 * caller sees what that path does with the same pages.  GUT_FORCE is passed
 * as the "write" value, as an old caller handing it a FOLL_* value would.
 */
static long gut_fast(struct gut_req *req, struct page **pages)
{
	int write = (req->flags & GUT_WRITE) ? 1 : 0;

	if (req->flags & GUT_FORCE)
		write = FOLL_FORCE;
	req->gup_flags = write;
	return get_user_pages_fast(req->addr, req->nr_pages, write, pages);
}

static long gut_slow(struct gut_req *req, struct page **pages)
{
	unsigned int gup_flags = 0;

	if (req->flags & GUT_WRITE)
		gup_flags |= FOLL_WRITE;
	if (req->flags & GUT_FORCE)
		gup_flags |= FOLL_FORCE;
	req->gup_flags = gup_flags;
	if (req->flags & GUT_LONGTERM)
		return get_user_pages_longterm(req->addr, req->nr_pages,
					       gup_flags, pages, NULL);
	return get_user_pages(req->addr, req->nr_pages, gup_flags, pages,
			      NULL);
}
#endif

#ifdef GUT_HAVE_FAST_ONLY
#define GUT_API_ONLY	GUT_API_FAST_ONLY

/*
 * get_user_pages_fast_only() must never sleep: call it as an interrupt
 * handler would, preemption and interrupts off.  A fallback to the slow
 * path (mmap_sem, a fault) would sleep here, and CONFIG_DEBUG_ATOMIC_SLEEP
 * says so in the log ("BUG: sleeping function called from invalid
 * context"), which fails the boot.
 */
static long gut_fast_only(struct gut_req *req, struct page **pages)
{
	unsigned long irqflags;
	long ret;

	req->gup_flags = (req->flags & GUT_WRITE) ? FOLL_WRITE : 0;
	preempt_disable();
	local_irq_save(irqflags);
	ret = get_user_pages_fast_only(req->addr, req->nr_pages,
				       req->gup_flags, pages);
	local_irq_restore(irqflags);
	preempt_enable();
	return ret;
}
#else
#define GUT_API_ONLY	0

/* No get_user_pages_fast_only() in this kernel: gut_req.api says so. */
static long gut_fast_only(struct gut_req *req __always_unused,
			  struct page **pages __always_unused)
{
	return -EOPNOTSUPP;
}
#endif

/* Write through the kernel mapping of each pinned page, then unpin it. */
static void gut_release(struct page **pages, long nr, u32 poke)
{
	long i;

	for (i = 0; i < nr; i++) {
		if (poke) {
			void *kaddr = kmap(pages[i]);

			memset(kaddr, poke & 0xff, PAGE_SIZE);
			kunmap(pages[i]);
			set_page_dirty_lock(pages[i]);
		}
		put_page(pages[i]);
	}
}

static long gut_ioctl(struct file *file __always_unused, unsigned int cmd,
		      unsigned long arg)
{
	struct mm_struct *mm = current->mm;
	struct gut_req req;
	struct page **pages;
	long ret;

	if (cmd != GUT_FAST && cmd != GUT_SLOW && cmd != GUT_FAST_ONLY)
		return -ENOTTY;
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	if (!req.nr_pages || req.nr_pages > GUT_MAX_PAGES ||
	    req.addr & ~PAGE_MASK)
		return -EINVAL;

	pages = kvmalloc_array(req.nr_pages, sizeof(*pages),
			       GFP_KERNEL | __GFP_ZERO);
	if (!pages)
		return -ENOMEM;

	if (cmd == GUT_FAST) {
		ret = gut_fast(&req, pages);
	} else if (cmd == GUT_FAST_ONLY) {
		ret = gut_fast_only(&req, pages);
	} else {
		down_read(&mm->mmap_sem);
		ret = gut_slow(&req, pages);
		up_read(&mm->mmap_sem);
	}
	if (ret > 0)
		gut_release(pages, ret, req.poke);
	kvfree(pages);

	req.ret = ret;
	req.api = GUT_API | GUT_API_ONLY;
	if (copy_to_user((void __user *)arg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static const struct file_operations gut_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = gut_ioctl,
};

static int __init gut_init(void)
{
	gut_dentry = debugfs_create_file("gup_unify_test", 0600, NULL, NULL,
					 &gut_fops);
	if (IS_ERR_OR_NULL(gut_dentry))
		return -ENODEV;
	return 0;
}

static void __exit gut_exit(void)
{
	debugfs_remove(gut_dentry);
}

module_init(gut_init);
module_exit(gut_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("gup-unify boot test: GUP calls gup_benchmark cannot make");
