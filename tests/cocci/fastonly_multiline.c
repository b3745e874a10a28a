/* Arguments on lines of their own keep their lines. */
static int userptr(struct obj *obj, int num_pages, struct page **pvec)
{
	return __get_user_pages_fast(
		obj->userptr.ptr,
		num_pages,
		!i915_gem_object_is_readonly(obj),
		pvec);
}
