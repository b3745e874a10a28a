// SPDX-License-Identifier: GPL-2.0
/* NULL on a line of its own,. */
static long pin_chunk(unsigned long base, unsigned long npages, unsigned int gup_flags,
		      struct page **list)
{
	return pin_user_pages(base,
			      min_t(unsigned long, npages,
				    PAGE_SIZE / sizeof(struct page *)),
			      gup_flags | FOLL_LONGTERM,
			      list,
			      NULL);
}

static long get_chunk(struct mm_struct *mm, unsigned long base, struct page **list)
{
	return get_user_pages_remote(mm, base, 16,
				     FOLL_GET | FOLL_WRITE,
				     list,
				     NULL,
				     NULL);
}
