static int pipe_pin(unsigned long p, int n, int is_write,
		    struct page **pages)
{
	get_user_pages_fast(p, n, !is_write, pages);
	return get_user_pages_fast(p, n, !!is_write, pages);
}
