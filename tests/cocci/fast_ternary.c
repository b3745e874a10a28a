static int cond(unsigned long a, bool w, struct page **p)
{
	get_user_pages_fast(a, 1, w ? 1 : 0, p);
	get_user_pages_fast(a, 1, w ? 0 : 1, p);
	return get_user_pages_fast(a, 1, w ? true : false, p);
}
