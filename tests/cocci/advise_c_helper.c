/* No [C]: the helper takes and drops the spinlock before the caller's fast call. */
static void bump(struct dev *d)
{
	spin_lock_bh(&d->lock);
	d->count++;
	spin_unlock_bh(&d->lock);
}

static int pin_counted(struct dev *d, unsigned long addr, struct page **pages)
{
	bump(d);
	return get_user_pages_fast(addr, 1, 0, pages);
}
