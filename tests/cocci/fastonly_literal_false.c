/* perf: read-only, IRQ-safe; 0 is already the gup_flags value. */
static int perf_virt_to_phys(unsigned long virt, struct page **p)
{
	return __get_user_pages_fast(virt, 1, 0, p);
}

static int peek(unsigned long virt, struct page **p)
{
	return __get_user_pages_fast(virt, 1, false, p);
}
