// SPDX-License-Identifier: GPL-2.0
/* The failure branch does not leave, so no helper: vma_lookup() after the call. */
static int note_vma(struct mm_struct *mm, unsigned long addr, struct page **pagep,
		    unsigned long *flags)
{
	struct vm_area_struct *vma = NULL;
	struct page *page;
	int ret;

	ret = get_user_pages_remote(mm, addr, 1, 0, &page, &vma, NULL);
	if (ret <= 0)
		pr_debug("nothing at %lx\n", addr);
	if (vma)
		*flags = vma->vm_flags;
	*pagep = ret > 0 ? page : NULL;
	return ret;
}
