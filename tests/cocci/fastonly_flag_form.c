/* Already a gup_flags value: only the name changes. */
static int flagged(unsigned long a, unsigned int gup_flags, bool w,
		   struct page **p)
{
	__get_user_pages_fast(a, 1, w ? FOLL_WRITE : 0, p);
	return __get_user_pages_fast(a, 1, gup_flags & FOLL_WRITE, p);
}
