static int pin_one(unsigned long addr, struct page **page)
{
	return get_user_pages_fast(addr, 1, 1, page);
}

static int pin_bool(unsigned long addr, struct page **page)
{
	return get_user_pages_fast(addr, 1, true, page);
}
