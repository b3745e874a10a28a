// SPDX-License-Identifier: GPL-2.0
/* CRLF line ends: converted, and every line, old or new, ends in CRLF. */
#include <linux/mm.h>

struct vm_area_struct { unsigned long vm_flags; };
#define VM_WRITE 0x2

static long toy_crlf_pin(unsigned long a, unsigned long n, int write,
			 struct page **pages)
{
	if (get_user_pages_longterm(a, n, 0, pages, NULL) < 0)
		return -EFAULT;
	return get_user_pages_fast(a, n, write, pages);
}

static int toy_crlf_vma(struct vm_area_struct *vma, unsigned long a,
			struct page **p)
{
	return get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p);
}
