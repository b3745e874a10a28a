/*
 * [A], flagged as conditional: the lock is taken only when the slow call is
 * wanted, which spatch cannot relate to the switch below.
 */
static long bench(int cmd, unsigned long addr, struct page **pages)
{
	bool slow = cmd == SLOW;
	long nr;

	if (slow && down_read_killable(&current->mm->mmap_sem))
		return -EINTR;
	if (cmd == FAST)
		nr = get_user_pages_fast(addr, 1, 0, pages);
	else
		nr = get_user_pages(addr, 1, 0, pages, NULL);
	if (slow)
		up_read(&current->mm->mmap_sem);
	return nr;
}
