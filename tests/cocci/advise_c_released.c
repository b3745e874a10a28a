/*
 * No [C]: the spinlock is dropped before the fast call, and under it only the
 * never-sleeping __get_user_pages_fast() is used.
 */
static int try_then_pin(struct dev *d, unsigned long addr, struct page **pages)
{
	int got;

	spin_lock(&d->lock);
	got = __get_user_pages_fast(addr, 1, 1, pages);
	spin_unlock(&d->lock);
	if (got == 1)
		return 1;
	return get_user_pages_fast(addr, 1, 1, pages);
}
