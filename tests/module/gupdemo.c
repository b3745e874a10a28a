// SPDX-License-Identifier: GPL-2.0
/*
 * gupdemo: a test fixture of gup-unify. A small driver with one caller of
 * each kind the old get_user_pages API had, built against a kernel before
 * the API change and one after it.
 */
#include <linux/dma-direction.h>
#include <linux/module.h>
#include <linux/mm.h>
#include "gupdemo.h"

/* A constant write argument, with its comment. */
int gupdemo_pin_for_device(unsigned long start, int nr_pages, struct page **pages)
{
	return get_user_pages_fast(start, nr_pages, 1 /* write */, pages);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_for_device);

/* A direction test, bare and in parentheses. */
int gupdemo_pin_dma(unsigned long start, int nr_pages, enum dma_data_direction dir,
		    struct page **pages)
{
	int got = get_user_pages_fast(start, nr_pages, dir != DMA_TO_DEVICE, pages);

	if (got >= 0)
		return got;
	return get_user_pages_fast(start, nr_pages, (dir != DMA_TO_DEVICE), pages);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_dma);

/* Already valid on both sides: left as it is. */
int gupdemo_pin_flags(unsigned long start, int nr_pages, bool write, struct page **pages)
{
	if (!write)
		return get_user_pages_fast(start, nr_pages, 0, pages);
	return get_user_pages_fast(start, nr_pages, write ? FOLL_WRITE : 0, pages);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_flags);

/* A long-term pin for a device's whole life; the caller holds the mmap lock. */
long gupdemo_pin_longterm(unsigned long start, unsigned long nr_pages, bool write,
			  struct page **pages)
{
	return get_user_pages_longterm(start, nr_pages, write ? FOLL_WRITE : 0, pages, NULL);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_longterm);

/* From atomic context: the fast walk alone, never sleeping. */
int gupdemo_pin_atomic(unsigned long start, int nr_pages, int write, struct page **pages)
{
	return __get_user_pages_fast(start, nr_pages, write, pages);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_atomic);

/* Through the header's wrapper. */
int gupdemo_pin_buffer(unsigned long start, int nr_pages, struct page **pages)
{
	return gupdemo_pin_chunk(start, nr_pages, 1, pages);
}
EXPORT_SYMBOL_GPL(gupdemo_pin_buffer);

MODULE_DESCRIPTION("gup-unify's fixture module");
MODULE_LICENSE("GPL");
