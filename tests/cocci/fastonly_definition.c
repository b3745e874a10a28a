/* Definitions, prototypes, exports and pointers belong to the core patches. */
int __get_user_pages_fast(unsigned long start, int nr_pages, int write,
			  struct page **pages);

int __weak __get_user_pages_fast(unsigned long start,
				 int nr_pages, int write, struct page **pages)
{
	return 0;
}
EXPORT_SYMBOL_GPL(__get_user_pages_fast);

static int (*pin_fn)(unsigned long, int, int, struct page **) = __get_user_pages_fast;
