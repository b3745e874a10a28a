/* No [A]: the lock is another task's mm; fast GUP works on current->mm. */
static int peek(struct task_struct *task, unsigned long addr, struct page **pages)
{
	struct mm_struct *mm = get_task_mm(task);
	int ret;

	down_read(&mm->mmap_sem);
	ret = get_user_pages_fast(addr, 1, 0, pages);
	up_read(&mm->mmap_sem);
	mmput(mm);
	return ret;
}
