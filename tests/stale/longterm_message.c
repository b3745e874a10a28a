/* One idiom: a message and comments naming the removed function. */
static int pin(struct toy *t, unsigned long data, int flags)
{
	int err;

	/* get_user_pages_longterm() refuses filesystem-dax pages. */
	err = get_user_pages_longterm(data & PAGE_MASK, t->nr_pages,
				      flags, t->pages, NULL);
	if (err != t->nr_pages) {
		t->nr_pages = (err >= 0) ? err : 0;
		dprintk(1, "get_user_pages_longterm: err=%d [%d]\n", err,
			t->nr_pages);
		return err < 0 ? err : -EINVAL;
	}
	/*
	 * A very long comment line that already reaches far to the right: get_user_pages_longterm()
	 */
	pr_debug("not renamed: get_user_pages_longterm_x, my_get_user_pages_longterm\n");
	return 0;
}
