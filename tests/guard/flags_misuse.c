// SPDX-License-Identifier: GPL-2.0
/*
 * Flag arguments of the get_user_pages family on a tree whose
 * get_user_pages_fast() takes gup_flags.  A line ending in "flagged" is one
 * the guard must report; every other call must pass.
 */
#define pin_user_pages_fast get_user_pages_fast

static int dma_pin(unsigned long addr, int n, enum dma_data_direction dir,
		   struct vm_area_struct *vma, unsigned int gup_flags,
		   bool w, int write, int prot, struct page **pages)
{
	/* values valid on both sides of the change */
	get_user_pages_fast(addr, n, 0, pages);
	get_user_pages_fast(addr, n, FOLL_WRITE, pages);
	get_user_pages_fast(addr, n, gup_flags, pages);
	get_user_pages_fast(addr, n, w ? FOLL_WRITE : 0, pages);
	get_user_pages_fast(addr, n, (w) ? FOLL_WRITE : 0, pages);
	get_user_pages_fast(addr, n, dir != DMA_TO_DEVICE ? FOLL_WRITE : 0, pages);
	get_user_pages_fast(addr, n, gup_flags & FOLL_WRITE, pages);
	get_user_pages_fast(addr, n, FOLL_WRITE | FOLL_LONGTERM, pages);
	get_user_pages_fast(addr, n, (FOLL_WRITE | FOLL_LONGTERM), pages);
	get_user_pages(addr, n, gup_flags | FOLL_LONGTERM, pages, NULL);
	get_user_pages_unlocked(addr, n, pages, FOLL_WRITE);
	pin_user_pages_fast(addr, n, FOLL_WRITE, pages);

	/* booleans and integers that only work while FOLL_WRITE is 1 */
	get_user_pages_fast(addr, n, 1, pages); /* flagged */
	get_user_pages_fast(addr, n, true, pages); /* flagged */
	get_user_pages_fast(addr, n, false, pages); /* flagged */
	get_user_pages_fast(addr, n, 1/* write */, pages); /* flagged */
	get_user_pages_fast(addr, n, w ? 1 : 0, pages); /* flagged */
	get_user_pages_fast(addr, n, w ? 0 : 1, pages); /* flagged */
	get_user_pages_fast(addr, n, dir != DMA_TO_DEVICE, pages); /* flagged */
	get_user_pages_fast(addr, n, (dir != DMA_TO_DEVICE), pages); /* flagged */
	get_user_pages_fast(addr, n, (dir == DMA_FROM_DEVICE), pages); /* flagged */
	get_user_pages_fast(addr, n, !!(prot & 2), pages); /* flagged */
	get_user_pages_fast(addr, n, (prot & 2), pages); /* flagged */
	get_user_pages_fast(addr, n, vma->vm_flags & VM_WRITE, pages); /* flagged */
	get_user_pages_fast(addr, n, (vma->vm_flags & VM_WRITE), pages); /* flagged */
	get_user_pages_fast(addr, n, w && write, pages); /* flagged */
	get_user_pages_fast(addr, n, (w || write), pages); /* flagged */
	get_user_pages_unlocked(addr, n, pages, !!(prot & 2)); /* flagged */
	get_user_pages_unlocked(addr, n, pages, (prot & 2) != 0); /* flagged */
	get_user_pages(addr, n, w == true, pages, NULL); /* flagged */
	get_user_pages(addr, n, (w ? 1 : 0) | FOLL_LONGTERM, pages, NULL); /* flagged */
	return get_user_pages_remote(vma->vm_mm, addr, n, addr > 2, pages, NULL, NULL); /* flagged */
}
