/* [C] fast GUP in a hard IRQ handler; none in the thread of a threaded one. */
static irqreturn_t dev_irq(int irq, void *data)
{
	struct dev *d = data;

	get_user_pages_fast(d->addr, 1, 1, d->pages);
	return IRQ_HANDLED;
}

static irqreturn_t dev_quick(int irq, void *data)
{
	return IRQ_WAKE_THREAD;
}

static irqreturn_t dev_thread(int irq, void *data)
{
	struct dev *d = data;

	get_user_pages_fast(d->addr, 1, 1, d->pages);
	return IRQ_HANDLED;
}

static int dev_setup(struct dev *d)
{
	int ret = request_irq(d->irq, dev_irq, 0, "dev", d);

	if (ret)
		return ret;
	return request_threaded_irq(d->irq2, dev_quick, dev_thread, IRQF_ONESHOT, "dev", d);
}
