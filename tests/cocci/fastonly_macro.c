/* The argument of a macro can be anything at each use: reported, not rewritten. */
#define PIN_ATOMIC(addr, w, page) __get_user_pages_fast(addr, 1, w, page)
#define PIN_RW_ATOMIC(addr, page) \
	__get_user_pages_fast(addr, 1, 1, page)

static int user(unsigned long a, struct page **p)
{
	return PIN_ATOMIC(a, 1, p) + PIN_RW_ATOMIC(a, p);
}
