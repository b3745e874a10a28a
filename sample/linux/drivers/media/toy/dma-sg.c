// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

struct vm_area_struct { unsigned long vm_flags; };
#define VM_WRITE 0x2

/* Reported, not rewritten: the macro argument can be any expression. */
#define TOY_PIN(addr, w, page) get_user_pages_fast(addr, 1, w, page)

static int (*toy_pinner)(unsigned long, int, int, struct page **) = get_user_pages_fast;

static long toy_dma_init(unsigned long data, unsigned long n, int direction,
			 struct page **pages)
{
	unsigned int flags = 0;

	if (direction == 2)
		flags |= FOLL_WRITE;
	return get_user_pages_longterm(data, n, flags, pages, NULL);
}

static int toy_dma_vma(struct vm_area_struct *vma, unsigned long a,
		       struct page **p)
{
	return get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p) +
	       TOY_PIN(a, 1, p) + toy_pinner(a, 1, 0, p);
}
