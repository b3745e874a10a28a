// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

#define TINY_ACCESS_WRITE	0x4

/* One small driver of a subsystem: its patch joins the subsystem's. */
static int tiny_pin_user(unsigned long addr, int npages, unsigned int access,
			 struct page **pages)
{
	return get_user_pages_fast(addr, npages, !!(access & TINY_ACCESS_WRITE),
				   pages);
}
