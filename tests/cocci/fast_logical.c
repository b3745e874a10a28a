static int both(unsigned long ua, int a, int b, struct page **pages)
{
	get_user_pages_fast(ua, 1, a && b, pages);
	return get_user_pages_fast(ua, 1, a != 2 || b, pages);
}
