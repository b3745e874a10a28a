static int already(unsigned long uaddr, int n, int write, unsigned int flags,
		   struct page **pages)
{
	int r;

	r = get_user_pages_fast(uaddr, n, write ? FOLL_WRITE : 0, pages);
	if (r < 0)
		return r;
	return get_user_pages_fast(uaddr, n, flags & FOLL_WRITE, pages);
}
