// SPDX-License-Identifier: GPL-2.0
/* Latin-1 bytes (Jürgen Groß): converted, the bytes kept. */
#include <linux/mm.h>

static int toy_latin1_pin(unsigned long a, bool ro, struct page **p)
{
	/* «résumé»: one page, never sleeping. */
	return __get_user_pages_fast(a, 1, !ro, p);
}
