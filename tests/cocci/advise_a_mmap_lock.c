/* [A] the 6.1 spelling: mmap_read_lock(current->mm), killable form in an if. */
static int grab(unsigned long addr, struct page **pages)
{
	int ret;

	mmap_read_lock(current->mm);
	ret = pin_user_pages_fast(addr, 1, FOLL_WRITE, pages);
	mmap_read_unlock(current->mm);
	return ret;
}

static int grab_killable(unsigned long addr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	int ret;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	ret = get_user_pages_fast(addr, 1, FOLL_WRITE, pages);
	mmap_write_unlock(mm);
	return ret;
}
