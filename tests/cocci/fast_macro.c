/* The argument of a macro can be anything at each use: reported, not rewritten. */
#define PIN_PAGE(addr, w, page) get_user_pages_fast(addr, 1, w, page)
#define PIN_RW(addr, page) \
	get_user_pages_fast(addr, 1, 1, page)

static int user(unsigned long a, struct page **p)
{
	return PIN_PAGE(a, 1, p) + PIN_RW(a, p);
}
