/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A compat header naming the new functions only as the names its macros
 * define, the old ones called in the bodies behind them: compat code, quiet.
 * A line ending in "flagged" is reported.
 */
#ifdef DRV_OLD_GUP
static inline long drv_get_user_pages(unsigned long start, unsigned long nr_pages,
				      unsigned int gup_flags, struct page **pages)
{
	if (gup_flags & FOLL_LONGTERM)
		return get_user_pages_longterm(start, nr_pages, gup_flags & ~FOLL_LONGTERM,
					       pages, NULL);
	return get_user_pages(start, nr_pages, gup_flags, pages, NULL);
}

static inline int drv_fast_only(unsigned long start, int nr_pages, unsigned int gup_flags,
				struct page **pages)
{
	return __get_user_pages_fast(start, nr_pages, gup_flags & FOLL_WRITE ? 1 : 0, pages);
}
#define get_user_pages_fast_only(start, nr_pages, gup_flags, pages) \
	drv_fast_only(start, nr_pages, gup_flags, pages)
#endif

#ifdef DRV_OLDER_GUP
/* "FOLL_LONGTERM" in a message or a comment names nothing. */
#define get_user_pages_longterm(start, nr, flags, pages, vmas) /* flagged */ \
	get_user_pages(start, nr, flags, pages, vmas)
#endif
