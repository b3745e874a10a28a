/* SPDX-License-Identifier: GPL-2.0 */
/* gupdemo: a test fixture of gup-unify, an out-of-tree driver pinning user buffers. */
#ifndef GUPDEMO_H
#define GUPDEMO_H

#include <linux/mm.h>

/* A wrapper in a header, as HPC drivers have: write is a bool. */
static inline int gupdemo_pin_chunk(unsigned long start, int chunk, int write,
				    struct page **pages)
{
	return get_user_pages_fast(start, chunk, write, pages);
}

long gupdemo_pin_longterm(unsigned long start, unsigned long nr_pages, bool write,
			  struct page **pages);
int gupdemo_pin_atomic(unsigned long start, int nr_pages, int write, struct page **pages);

#endif /* GUPDEMO_H */
