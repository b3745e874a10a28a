/* An int that may be 2 must not become FOLL_TOUCH: always tested, never passed. */
static int by_prot(unsigned long a, int prot, int rw, struct page **p)
{
	get_user_pages_fast(a, 1, prot & 2, p);
	get_user_pages_fast(a, 1, (prot & 2), p);
	return get_user_pages_fast(a, 1, rw, p);
}
