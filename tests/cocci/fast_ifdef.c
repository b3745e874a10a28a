static int pick(unsigned long a, int w, struct page **p)
{
#ifdef CONFIG_ONE_WAY
	return get_user_pages_fast(a, 1, 1, p);
#else
	return get_user_pages_fast(a, 1, w, p);
#endif
}
