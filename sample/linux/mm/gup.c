// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

long get_user_pages_longterm(unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, struct page **pages,
			     struct vm_area_struct **vmas)
{
	return get_user_pages(start, nr_pages, gup_flags, pages, vmas);
}

int get_user_pages_fast(unsigned long start, int nr_pages, int write,
			struct page **pages)
{
	return get_user_pages(start, nr_pages, write ? FOLL_WRITE : 0, pages, NULL);
}
