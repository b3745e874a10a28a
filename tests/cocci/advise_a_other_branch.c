/* No [A]: the locked call and the fast call are in different branches. */
static long pin(unsigned long addr, struct vm_area_struct **vmas, struct page **pages)
{
	long ret;

	if (vmas) {
		down_read(&current->mm->mmap_sem);
		ret = get_user_pages(addr, 1, FOLL_WRITE, pages, vmas);
		up_read(&current->mm->mmap_sem);
	} else {
		ret = get_user_pages_fast(addr, 1, 1, pages);
	}
	return ret;
}
