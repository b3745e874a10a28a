static int iter(struct iov_iter *i, unsigned long addr, int n,
		struct page **pages)
{
	get_user_pages_fast(addr, n, iov_iter_rw(i) != WRITE, pages);
	return get_user_pages_fast(addr, n, want_write(i), pages);
}
