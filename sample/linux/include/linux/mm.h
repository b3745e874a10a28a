/* SPDX-License-Identifier: GPL-2.0 */
/* The slice of the v4.20-era GUP API that the sample callers use. */
#ifndef _LINUX_MM_H
#define _LINUX_MM_H

struct page;
struct vm_area_struct;

long get_user_pages(unsigned long start, unsigned long nr_pages,
		    unsigned int gup_flags, struct page **pages,
		    struct vm_area_struct **vmas);
long get_user_pages_longterm(unsigned long start, unsigned long nr_pages,
			     unsigned int gup_flags, struct page **pages,
			     struct vm_area_struct **vmas);
int get_user_pages_fast(unsigned long start, int nr_pages, int write,
			struct page **pages);

#define FOLL_WRITE	0x01	/* check pte is writable */
#define FOLL_TOUCH	0x02	/* mark page accessed */
#define FOLL_GET	0x04	/* do get_page on page */
#define FOLL_FORCE	0x10	/* get_user_pages read/write w/o permission */
/* As the core series defines it: the sample stands for a tree that has it. */
#define FOLL_LONGTERM	0x10000	/* mapping lifetime is indefinite */

#endif
