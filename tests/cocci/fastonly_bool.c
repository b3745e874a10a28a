/* Comparisons and logic are 0 or 1: no parentheses needed. */
static int guest_pin(unsigned long hva, int rw, bool ro, bool dirty,
		     struct page **page)
{
	__get_user_pages_fast(hva, 1, rw == WRITE, page);
	__get_user_pages_fast(hva, 1, !ro && dirty, page);
	return __get_user_pages_fast(hva, 1, rw != READ || dirty, page);
}
