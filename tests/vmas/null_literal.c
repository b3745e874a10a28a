// SPDX-License-Identifier: GPL-2.0
/* A NULL vmas argument written NULL, 0 and in parentheses, all four functions. */
static long pin_range(unsigned long start, unsigned long n, struct page **pages)
{
	long pinned;

	mmap_read_lock(current->mm);
	pinned = pin_user_pages(start, n, FOLL_WRITE | FOLL_LONGTERM, pages, NULL);
	if (pinned == n)
		pinned = get_user_pages(start, n, 0, pages, 0);
	mmap_read_unlock(current->mm);
	return pinned;
}

static long pin_remote(struct mm_struct *mm, unsigned long start, struct page **pages,
		       int *locked)
{
	long got = get_user_pages_remote(mm, start, 1, FOLL_FORCE, pages, (NULL), NULL);

	if (got != 1)
		return got;
	return pin_user_pages_remote(mm, start, 1, FOLL_WRITE, pages, NULL, locked);
}
