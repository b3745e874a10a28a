static int ceph_pin(const void *data, int got, int num, bool write_page,
		    struct page **pages)
{
	return get_user_pages_fast(
		    (unsigned long)data + ((unsigned long)got * PAGE_SIZE),
		    num - got,
		    write_page,
		    pages + got);
}
