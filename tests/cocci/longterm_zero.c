static long pin_ro(unsigned long start, unsigned long n, struct page **pages)
{
	return get_user_pages_longterm(start, n, 0, pages, NULL);
}
