// SPDX-License-Identifier: GPL-2.0
/* A NULL vmas argument cast to its type, with and without spaces. */
static int fault_in_one(struct mm_struct *mm, unsigned long addr, struct page **page)
{
	int ret;

	ret = get_user_pages_remote(mm, addr, 1, FOLL_WRITE, page,
				    (struct vm_area_struct **)NULL, NULL);
	if (ret == 1)
		ret = get_user_pages(addr, 1, 0, page, (struct vm_area_struct **) 0);
	return ret;
}
