// SPDX-License-Identifier: GPL-2.0
/*
 * An out-of-tree driver's calls, as built against kernels on both sides of
 * the change.  A line ending in "flagged" is reported.
 */
#include "module_compat.h"

#define pin_user_pages_fast get_user_pages_fast
#define drv_pin_ro(a, n, p)	get_user_pages_fast(a, n, 0, p)
#define drv_pin_rw(a, n, p)	get_user_pages_fast(a, n, 1, p) /* flagged */
#define drv_pin(a, n, w, p) \
	get_user_pages_fast(a, n, w ? FOLL_WRITE : 0, p)

static int drv_map(unsigned long buf, int n, enum dma_data_direction dir, int write,
		   bool w, struct page **pages, unsigned int flags)
{
	get_user_pages_fast(buf, n, FOLL_WRITE, pages);
	get_user_pages_fast(buf, n, 0, pages);
	get_user_pages_fast(buf, n, write, pages);
	get_user_pages_fast(buf, n, dir != DMA_TO_DEVICE ? FOLL_WRITE : 0, pages);
	pin_user_pages_fast(buf, n, FOLL_WRITE, pages);
	drv_pin(buf, n, w, pages);
	drv_gup_longterm(buf, n, FOLL_WRITE, pages, NULL);
	get_user_pages_fast(buf, n, 1/* write */, pages); /* flagged */
	get_user_pages_fast(buf, n, (dir != DMA_TO_DEVICE), pages); /* flagged */
	get_user_pages_fast(buf, n, /* flagged */
			    dir == DMA_FROM_DEVICE, pages);
	get_user_pages_fast(buf, n, w ? 1 : 0, pages); /* flagged */
	get_user_pages(buf, n, flags | FOLL_LONGTERM, pages, NULL);
	get_user_pages_longterm(buf, n, 0, pages, NULL); /* flagged */
	__get_user_pages_fast(buf, n, write, pages); /* flagged */
	return get_user_pages_remote(current->mm, buf, n, write == 1, pages, NULL, NULL); /* flagged */
}
