static long umem(unsigned long base, unsigned long n, unsigned int gup_flags,
		 struct page **list, struct vm_area_struct **vmas)
{
	get_user_pages_longterm(base, n, gup_flags, list, vmas);
	get_user_pages_longterm(base, n, FOLL_WRITE, list, NULL);
	return get_user_pages_longterm(base, n, FOLL_WRITE | FOLL_FORCE, list, NULL);
}
