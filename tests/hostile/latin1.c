// SPDX-License-Identifier: GPL-2.0
/* Latin-1, not UTF-8: (c) Jürgen Groß. Converted, every other byte kept. */
#include <linux/mm.h>

static const char toy_name[] = "señor";

static int toy_latin1_pin(unsigned long a, int write, struct page **pages)
{
	/* § 3: pin for the device */
	return get_user_pages_fast(a, 1, write && toy_name[2] == 'ñ', pages);
}
