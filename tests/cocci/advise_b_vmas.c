/* No [B]: the vmas are wanted, and only get_user_pages() returns them. */
static long pin_vmas(unsigned long addr, struct page **pages, struct vm_area_struct **vmas)
{
	long ret;

	down_read(&current->mm->mmap_sem);
	ret = get_user_pages(addr, 1, 0, pages, vmas);
	up_read(&current->mm->mmap_sem);
	return ret;
}
