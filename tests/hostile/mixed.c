// SPDX-License-Identifier: GPL-2.0
/* Mixed line ends (one CRLF line): left as it is, and listed. */
#include <linux/mm.h>

static int toy_mixed_pin(unsigned long a, int write, struct page **pages)
{
	return get_user_pages_fast(a, 1, write, pages);
}
