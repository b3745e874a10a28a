static int casted(unsigned long a, long w, struct page **p)
{
	get_user_pages_fast((unsigned long)a, 1, (int)w, p);
	return get_user_pages_fast(a, 1, (bool)(w & 4), p);
}
