// SPDX-License-Identifier: GPL-2.0
/* A file's own macro for "no vmas", and a call inside a macro body. */
#define NO_VMAS NULL
#define MAYBE_VMAS(v) (v)
#define pin_one(addr, page) \
	pin_user_pages(addr, 1, FOLL_WRITE | FOLL_LONGTERM, page, NULL)

static long fault_one(unsigned long addr, struct page **page,
		      struct vm_area_struct **vmas)
{
	long ret = get_user_pages(addr, 1, FOLL_WRITE, page, NO_VMAS);

	if (ret != 1)
		return ret;
	return pin_one(addr, page);
}
