// SPDX-License-Identifier: GPL-2.0
/* #ifdef inside the argument list: left as it is, and the report says so. */
#include <linux/mm.h>

static int toy_ifdef_pin(unsigned long a, int w, struct page **p)
{
	return get_user_pages_fast(a, 1,
#ifdef CONFIG_TOY_READ_ONLY
				   0,
#else
				   w,
#endif
				   p);
}

static int toy_ifdef_pin_inline(unsigned long a, int w, struct page **p)
{
	return get_user_pages_fast(a, 1,
#ifdef CONFIG_TOY_READ_ONLY
				   1
#else
				   w
#endif
				   , p);
}
