static long bench(struct gup_benchmark *gup, unsigned long a, unsigned long n,
		  bool w, struct page **p)
{
	get_user_pages_longterm(a, n, gup->flags & 1, p, NULL);
	return get_user_pages_longterm(a, n, w ? FOLL_WRITE : 0, p, NULL);
}
