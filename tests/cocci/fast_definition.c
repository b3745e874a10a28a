/* Definitions, prototypes and pointers belong to the core patches. */
int get_user_pages_fast(unsigned long start, int nr_pages, int write,
			struct page **pages);

int __weak get_user_pages_fast(unsigned long start,
			       int nr_pages, int write, struct page **pages)
{
	return get_user_pages_unlocked(start, nr_pages, pages,
				       write ? FOLL_WRITE : 0);
}

static int (*pin_fn)(unsigned long, int, int, struct page **) = get_user_pages_fast;
