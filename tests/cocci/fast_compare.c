static int tape(unsigned long ua, int n, int rw, int dir,
		struct page **pages)
{
	get_user_pages_fast(ua, n, rw == READ, pages);
	get_user_pages_fast(ua, n, dir != DMA_TO_DEVICE, pages);
	return get_user_pages_fast(ua, n, n > 1, pages);
}
