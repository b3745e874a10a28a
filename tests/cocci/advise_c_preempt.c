/* [C] fast GUP with preemption off, and with interrupts off. */
static int per_cpu_pin(unsigned long addr, struct page **pages)
{
	int ret;

	preempt_disable();
	ret = get_user_pages_fast(addr, 1, 0, pages);
	preempt_enable();
	return ret;
}

static int irq_off_pin(unsigned long addr, struct page **pages)
{
	unsigned long flags;
	int ret;

	local_irq_save(flags);
	ret = get_user_pages_fast(addr, 1, 0, pages);
	local_irq_restore(flags);
	return ret;
}
