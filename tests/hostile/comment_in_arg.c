// SPDX-License-Identifier: GPL-2.0
/* A comment inside the write argument survives the rewrite. */
#include <linux/mm.h>

#define each_segment(it, seg, STEP) {		\
	for (seg = 0; seg < (it)->nr; seg++)	\
		STEP				\
}

struct iov_iter { int nr; int rw; unsigned long base; };

static int toy_comment_pin(unsigned long a, int w, struct page **p)
{
	return get_user_pages_fast(a, 1, w /* the direction */ && a, p);
}

static int toy_comment_pin_all(struct iov_iter *i, struct page **pages)
{
	int seg, res = 0;

	each_segment(i, seg, ({
		res = get_user_pages_fast(i->base, 1,
					  i->rw != 1 /* the device writes */ &&
					  i->nr > 0, pages);
	}))
	return res;
}
