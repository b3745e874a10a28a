// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

/* Code handed to a macro as an argument: spatch parses it but cannot rewrite it. */
#define each_segment(it, seg, STEP) {		\
	for (seg = 0; seg < (it)->nr; seg++)	\
		STEP				\
}

struct iov_iter { int nr; int rw; unsigned long base; };

static int toy_get_pages(struct iov_iter *i, struct page **pages)
{
	int seg, res = 0;

	each_segment(i, seg, ({
		res = get_user_pages_fast(i->base, 1, i->rw != 1, pages);
		if (res < 0)
			return res;
	}))
	return res;
}
