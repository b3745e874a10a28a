// SPDX-License-Identifier: GPL-2.0
/* The failure path reads the page pointer, so no helper: vma_lookup() after the call. */
static struct page *find_page(struct mm_struct *mm, unsigned long addr,
			      struct vm_area_struct **vmap)
{
	struct page *page = ZERO_PAGE(0);
	struct vm_area_struct *vma;
	long ret;

	ret = get_user_pages_remote(mm, addr, 1, FOLL_FORCE, &page, &vma, NULL);
	if (ret <= 0)
		return page;
	*vmap = vma;
	return page;
}
