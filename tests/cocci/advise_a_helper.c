/*
 * No [A]: the helper takes and drops the lock itself, and the never-sleeping
 * __get_user_pages_fast() under the lock cannot fall back.
 */
static int count_vmas(struct mm_struct *mm)
{
	int n;

	down_read(&mm->mmap_sem);
	n = mm->map_count;
	up_read(&mm->mmap_sem);
	return n;
}

static int pin_after_count(unsigned long addr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	int n;

	n = count_vmas(mm);
	down_read(&mm->mmap_sem);
	__get_user_pages_fast(addr, 1, 0, pages);
	up_read(&mm->mmap_sem);
	return get_user_pages_fast(addr, n, 0, pages);
}
