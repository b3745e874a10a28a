// SPDX-License-Identifier: GPL-2.0
/* One page and its vma in a copy loop, as ptrace peeks at tags: the check breaks out. */
static int peek_flags(struct mm_struct *mm, unsigned long addr, unsigned long len,
		      unsigned int gup_flags)
{
	struct vm_area_struct *vma;
	int ret = 0;

	if (mmap_read_lock_killable(mm))
		return -EIO;
	while (len) {
		struct page *page = NULL;

		ret = get_user_pages_remote(mm, addr, 1, gup_flags, &page,
					    &vma, NULL);
		if (ret <= 0)
			break;
		if (!(vma->vm_flags & VM_MTE)) {
			put_page(page);
			ret = -EOPNOTSUPP;
			break;
		}
		put_page(page);
		addr += PAGE_SIZE;
		len -= min(len, PAGE_SIZE);
	}
	mmap_read_unlock(mm);
	return ret <= 0 ? -EIO : 0;
}
