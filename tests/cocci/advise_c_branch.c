/* No [C]: the spinlock is held in one branch, the fast call is in the other. */
static int pin_or_queue(struct dev *d, bool queue, unsigned long addr, struct page **pages)
{
	if (queue) {
		spin_lock(&d->lock);
		d->pending++;
		spin_unlock(&d->lock);
		return 0;
	}
	return get_user_pages_fast(addr, 1, 1, pages);
}
