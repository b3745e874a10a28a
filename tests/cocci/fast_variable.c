struct map { int write; };

static int pin(struct map *m, struct map s, bool writable,
	       unsigned long va, struct page **pages)
{
	get_user_pages_fast(va, 1, writable, pages);
	get_user_pages_fast(va, 1, m->write, pages);
	return get_user_pages_fast(va, 1, s.write, pages);
}
