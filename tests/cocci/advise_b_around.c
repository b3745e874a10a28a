/* [B] mmap_sem of current->mm taken only around one get_user_pages(). */
static long pin_pages(unsigned long addr, unsigned long nr, struct page **pages)
{
	long ret;

	down_read(&current->mm->mmap_sem);
	ret = get_user_pages(addr, nr, FOLL_WRITE, pages, NULL);
	up_read(&current->mm->mmap_sem);
	return ret;
}
