/* [A] fast GUP under a read lock of current->mm, through a local variable. */
static int pin_buffer(unsigned long addr, int nr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	int ret;

	down_read(&mm->mmap_sem);
	ret = get_user_pages_fast(addr, nr, 1, pages);
	up_read(&mm->mmap_sem);
	return ret;
}
