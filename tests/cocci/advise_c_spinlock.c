/* [C] fast GUP under a spinlock taken with interrupts saved. */
static int queue_user_buf(struct dev *d, unsigned long addr, struct page **pages)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&d->lock, flags);
	ret = get_user_pages_fast(addr, 1, 1, pages);
	spin_unlock_irqrestore(&d->lock, flags);
	return ret;
}
