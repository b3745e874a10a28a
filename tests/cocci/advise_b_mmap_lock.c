/* [B] the 6.1 spelling, the killable lock, and pin_user_pages(). */
static long pin_pages(unsigned long addr, unsigned long nr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	long ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = pin_user_pages(addr, nr, FOLL_WRITE | FOLL_LONGTERM, pages, NULL);
	mmap_read_unlock(mm);
	return ret;
}
