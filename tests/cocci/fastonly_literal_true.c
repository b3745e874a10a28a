/* virt/kvm: a write fault wants a writable page, never sleeping. */
static int hva_to_pfn_fast(unsigned long addr, struct page **page)
{
	return __get_user_pages_fast(addr, 1, 1, page);
}

static int pin_bool(unsigned long addr, struct page **page)
{
	return __get_user_pages_fast(addr, 1, true, page);
}
