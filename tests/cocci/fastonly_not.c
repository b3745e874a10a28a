/* i915: !readonly, and a double negation. */
static int userptr_pin(unsigned long ptr, int n, struct obj *obj,
		       struct page **pvec)
{
	__get_user_pages_fast(ptr, n, !obj->readonly, pvec);
	return __get_user_pages_fast(ptr, n, !!obj->write, pvec);
}
