// SPDX-License-Identifier: GPL-2.0
/* The result is not kept in a variable, or the address is read twice with a side effect. */
static int first_vma_flags(unsigned long *addr, struct page **page, unsigned long *flags)
{
	struct vm_area_struct *vma;
	long got;

	if (get_user_pages(*addr, 1, 0, page, &vma) != 1)
		return -EFAULT;
	*flags = vma->vm_flags;
	put_page(*page);
	got = get_user_pages((*addr)++, 1, 0, page, &vma);
	if (got == 1)
		*flags |= vma->vm_flags;
	return 0;
}
