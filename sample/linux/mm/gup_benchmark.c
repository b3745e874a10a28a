// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

struct gup_benchmark { unsigned int flags; };

static long bench(struct gup_benchmark *gup, unsigned long addr, int nr,
		  struct page **pages, int longterm)
{
	if (longterm)
		return get_user_pages_longterm(addr, nr, gup->flags & 1,
					       pages, NULL);
	return get_user_pages_fast(addr, nr, gup->flags & 1, pages);
}
