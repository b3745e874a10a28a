// SPDX-License-Identifier: GPL-2.0
/*
 * The core series' own calls, as <linux/mm.h> has them between its first
 * patches and the removal: never rewritten (the wrapper would call itself).
 */
static inline long __get_user_pages_novmas(unsigned long start,
		unsigned long nr_pages, unsigned int gup_flags,
		struct page **pages)
{
	return get_user_pages(start, nr_pages, gup_flags, pages, NULL);
}

static inline struct page *get_user_page_vma_remote(struct mm_struct *mm,
						    unsigned long addr,
						    unsigned int gup_flags,
						    struct vm_area_struct **vmap)
{
	struct page *page;
	long got;

	got = get_user_pages_remote(mm, addr, 1, gup_flags, &page, NULL, NULL);
	if (got <= 0)
		return got < 0 ? ERR_PTR(got) : NULL;
	*vmap = vma_lookup(mm, addr);
	return page;
}
