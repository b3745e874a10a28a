struct map { int write; };

/* s390's get_user_pages_fast() forwards its own int write. */
static int fast_then_slow(unsigned long start, int nr_pages, int write,
			  struct page **pages)
{
	return __get_user_pages_fast(start, nr_pages, write, pages);
}

static int pin(struct map *m, struct map s, bool writable,
	       unsigned long va, struct page **pages)
{
	__get_user_pages_fast(va, 1, writable, pages);
	__get_user_pages_fast(va, 1, m->write, pages);
	return __get_user_pages_fast(va, 1, s.write, pages);
}
