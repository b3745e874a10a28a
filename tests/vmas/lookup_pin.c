// SPDX-License-Identifier: GPL-2.0
/* One page and its vma, the result tested with == 1: vma_lookup() after the call. */
static int pin_and_check(unsigned long uaddr, struct page **page)
{
	struct vm_area_struct *vma;
	long got;
	int ret = 0;

	mmap_read_lock(current->mm);
	got = pin_user_pages(uaddr, 1, FOLL_WRITE | FOLL_LONGTERM, page, &vma);
	if (got == 1 && vma->vm_file && !vma_is_shmem(vma)) {
		unpin_user_page(*page);
		ret = -EOPNOTSUPP;
	} else if (got != 1) {
		ret = got < 0 ? got : -EFAULT;
	}
	mmap_read_unlock(current->mm);
	return ret;
}
