// SPDX-License-Identifier: GPL-2.0
#include <linux/mm.h>

static int toy_rdma_pin(unsigned long user_addr, int nr_pages, int write,
			struct page **pages)
{
	int ret;

	ret = get_user_pages_fast(user_addr, nr_pages, write, pages);
	if (ret < 0)
		return ret;
	return get_user_pages_fast(user_addr, 1, 1/* iswrite */, pages);
}

static int toy_info_pin(unsigned long start, int nr_pages, int rw,
			struct page **pages)
{
	return get_user_pages_fast(start, nr_pages, rw == 0, pages) +
	       get_user_pages_fast(start, 1, 0, pages);
}
