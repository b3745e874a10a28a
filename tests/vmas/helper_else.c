// SPDX-License-Identifier: GPL-2.0
/* One page and its vma, the success path an else, the failure path under #ifdef. */
static int copy_remote(struct mm_struct *mm, unsigned long addr, void *buf, int len,
		       unsigned int gup_flags)
{
	struct vm_area_struct *vma = NULL;
	int done = 0;

	while (len) {
		int bytes, ret;
		struct page *page = NULL;

		ret = get_user_pages_remote(mm, addr, 1,
				gup_flags, &page, &vma, NULL);
		if (ret <= 0) {
#ifdef CONFIG_HAVE_IOREMAP_PROT
			vma = vma_lookup(mm, addr);
			if (!vma || !vma->vm_ops || !vma->vm_ops->access)
				break;
			ret = vma->vm_ops->access(vma, addr, buf, len, 0);
			if (ret <= 0)
				break;
			bytes = ret;
#else
			break;
#endif
		} else {
			bytes = min_t(int, len, PAGE_SIZE - offset_in_page(addr));
			copy_from_user_page(vma, page, addr, buf,
					    page_address(page) + offset_in_page(addr), bytes);
			put_page(page);
		}
		len -= bytes;
		buf += bytes;
		addr += bytes;
		done += bytes;
	}
	return done;
}
