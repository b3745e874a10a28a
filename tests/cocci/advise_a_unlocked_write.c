/* [A] get_user_pages_unlocked() under down_write() of current->mm, set by assignment. */
static long map_user(unsigned long addr, unsigned long nr, struct page **pages)
{
	struct mm_struct *mm;
	long ret;

	mm = current->mm;
	down_write(&mm->mmap_sem);
	ret = get_user_pages_unlocked(addr, nr, pages, FOLL_WRITE);
	up_write(&mm->mmap_sem);
	return ret;
}
