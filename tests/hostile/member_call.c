// SPDX-License-Identifier: GPL-2.0
/* Calls through struct members that share the name are not the API: never rewritten. */
#include <linux/mm.h>

struct toy_ops;
struct toy_pinner;

static int toy_ops_pin(struct toy_ops *ops, struct toy_pinner x, unsigned long a,
		       int w, struct page **p)
{
	return ops->get_user_pages_fast(a, 1, w, p) +
	       x.get_user_pages_fast(a, 1, w, p) +
	       get_user_pages_fast(a, 1, w, p);
}
