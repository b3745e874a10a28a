// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static long toy_umem_pin(unsigned long base, unsigned long npages,
			 unsigned int gup_flags, struct page **list)
{
	return get_user_pages_longterm(base, npages, gup_flags, list, NULL);
}

static int toy_sdma_pin(unsigned long addr, int n, bool writable,
			struct page **pages)
{
	return get_user_pages_fast(addr, n, writable, pages);
}

static int toy_mr_pin(unsigned long addr, struct page **page)
{
	return get_user_pages_fast(addr, 1, FOLL_WRITE, page);
}
