/* An int that may be 2 must not become FOLL_TOUCH: always tested, never passed. */
static int by_prot(unsigned long a, int prot, unsigned long vm_flags,
		   struct page **p)
{
	__get_user_pages_fast(a, 1, prot & 2, p);
	return __get_user_pages_fast(a, 1, vm_flags & VM_WRITE, p);
}
