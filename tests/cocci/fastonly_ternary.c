static int cond(unsigned long a, bool w, struct page **p)
{
	__get_user_pages_fast(a, 1, w ? 1 : 0, p);
	__get_user_pages_fast(a, 1, w ? 0 : 1, p);
	return __get_user_pages_fast(a, 1, w ? true : false, p);
}
