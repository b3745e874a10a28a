/* FOLL_WRITE as the write bool: right by accident, kept (and reported). */
static int inject(unsigned long va, struct page **p)
{
	return __get_user_pages_fast(va, 1, FOLL_WRITE, p);
}

/* Any other FOLL_* value changes meaning: left for a human. */
static int forced(unsigned long va, struct page **p)
{
	return __get_user_pages_fast(va, 1, FOLL_WRITE | FOLL_FORCE, p);
}
