// SPDX-License-Identifier: GPL-2.0
/*
 * Forms of the same values: casts, line breaks, comments, nested
 * conditionals and masks.  A line ending in "flagged" is reported.
 */
static long pin_forms(unsigned long uaddr, int npages, struct page **pages,
		      const struct vm_area_struct *vma, unsigned int flags,
		      int rw, long write)
{
	get_user_pages_fast(uaddr, npages, (unsigned int)flags, pages);
	get_user_pages_fast(uaddr, npages, ~FOLL_FORCE & flags, pages);
	get_user_pages_fast(uaddr, npages,
			    rw == WRITE ? FOLL_WRITE : 0, pages);
	get_user_pages_fast(uaddr, npages, flags | (rw ? FOLL_WRITE : 0), pages);
	get_user_pages_fast(uaddr, npages, write, pages);
	get_user_pages_fast(uaddr, npages, vma->vm_flags & VM_WRITE ? FOLL_WRITE : 0, pages);
	get_user_pages_fast(uaddr, npages, -1, pages); /* flagged */
	get_user_pages_fast(uaddr, npages, (int)(rw == WRITE), pages); /* flagged */
	get_user_pages_fast(uaddr, npages, rw == WRITE ? 1 : 0, pages); /* flagged */
	get_user_pages_fast(uaddr, npages, flags | (rw ? 1 : 0), pages); /* flagged */
	get_user_pages_fast(uaddr, npages, rw ? FOLL_WRITE : rw > 1 ? FOLL_FORCE : 0, pages); /* flagged */
	get_user_pages_fast(uaddr, npages, write << 0, pages); /* flagged */
	get_user_pages_fast(uaddr, npages, 0x1, pages); /* flagged */
	return get_user_pages_unlocked(uaddr, npages, pages, rw & 1); /* flagged */
}
