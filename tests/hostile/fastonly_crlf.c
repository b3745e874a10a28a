// SPDX-License-Identifier: GPL-2.0
/* CRLF line ends, IRQ-safe pins: converted, every line still ends in CRLF. */
#include <linux/mm.h>

static int toy_irq_pin(unsigned long a, struct page **p)
{
	return __get_user_pages_fast(a, 1, 1, p);
}

static int toy_irq_peek(unsigned long a, int write, struct page **pages)
{
	return __get_user_pages_fast(a, 1, write, pages);
}
