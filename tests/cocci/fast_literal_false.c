static int peek(unsigned long addr, struct page **page)
{
	if (get_user_pages_fast(addr, 1, 0, page) != 1)
		return -EFAULT;
	return get_user_pages_fast(addr, 1, false, page);
}
