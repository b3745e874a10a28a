static int bench(struct gup_benchmark *gup, unsigned long addr, int nr,
		 struct page **pages)
{
	return get_user_pages_fast(addr, nr, gup->flags & 1, pages);
}
