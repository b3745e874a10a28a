// SPDX-License-Identifier: GPL-2.0
/* locked is not NULL: the call may drop the mmap lock, so its vma may be gone. */
static int fault_and_flags(struct mm_struct *mm, unsigned long addr, unsigned long *flags)
{
	struct vm_area_struct *vma;
	struct page *page;
	int locked = 1;
	long ret;

	mmap_read_lock(mm);
	ret = get_user_pages_remote(mm, addr, 1, FOLL_WRITE, &page, &vma, &locked);
	if (ret == 1) {
		*flags = vma->vm_flags;
		put_page(page);
	}
	if (locked)
		mmap_read_unlock(mm);
	return ret == 1 ? 0 : -EFAULT;
}
