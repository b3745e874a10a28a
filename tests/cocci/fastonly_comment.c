static int iommu_pin(unsigned long ua, struct page **page)
{
	return __get_user_pages_fast(ua, 1/* pages */, 1/* iswrite */, page);
}

static int map_pin(unsigned long data, struct dma_map *m)
{
	return __get_user_pages_fast(data, m->nr,
			m->write, /* rw */
			m->list);
}
