/* No [A]: the lock is dropped before the fast call, on every path. */
static int lookup_then_pin(unsigned long addr, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	down_read(&mm->mmap_sem);
	vma = find_vma(mm, addr);
	if (!vma) {
		up_read(&mm->mmap_sem);
		return -EFAULT;
	}
	up_read(&mm->mmap_sem);
	return get_user_pages_fast(addr, 1, 0, pages);
}
