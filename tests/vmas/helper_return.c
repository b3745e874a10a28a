// SPDX-License-Identifier: GPL-2.0
/* One page and its vma, the failure returned at once, under unlikely(). */
static int patch_word(struct mm_struct *mm, unsigned long vaddr, u32 word)
{
	struct page *old_page;
	struct vm_area_struct *vma;
	int ret;

	ret = get_user_pages_remote(mm, vaddr, 1, FOLL_FORCE | FOLL_SPLIT_PMD,
				    &old_page, &vma, NULL);
	if (unlikely(ret <= 0)) {
		pr_debug("no page at %lx\n", vaddr);
		return ret == 0 ? -EBUSY : ret;
	}
	ret = replace_word(vma, old_page, vaddr, word);
	put_page(old_page);
	return ret;
}
