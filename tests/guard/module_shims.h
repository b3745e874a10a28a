/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shims re-creating get_user_pages_longterm() from a header grep: those
 * without FOLL_LONGTERM drop the long-term pinning.  A line ending in
 * "flagged" is reported.
 */
#define get_user_pages_longterm(start, nr, flags, pages, vmas) /* flagged */ \
	get_user_pages(start, nr, flags, pages, vmas)

static inline long get_user_pages_longterm(unsigned long start, /* flagged */
					   unsigned long nr, unsigned int flags,
					   struct page **pages,
					   struct vm_area_struct **vmas)
{
	return get_user_pages(start, nr, flags, pages, vmas);
}

static inline long drv_longterm(unsigned long start, unsigned long nr,
				unsigned int flags, struct page **pages)
{
	return get_user_pages(start, nr, flags | FOLL_LONGTERM, pages, NULL);
}

static inline int drv_irq_pin(unsigned long start, struct page **page)
{
	return __get_user_pages_fast(start, 1, 1, page); /* flagged */
}
