/* No [B]: another process's mm, which only get_user_pages_remote() can walk. */
static long pin_remote(struct task_struct *tsk, struct mm_struct *mm, unsigned long addr,
		       struct page **pages)
{
	long ret;

	down_read(&mm->mmap_sem);
	ret = get_user_pages_remote(tsk, mm, addr, 1, 0, pages, NULL, NULL);
	up_read(&mm->mmap_sem);
	return ret;
}
