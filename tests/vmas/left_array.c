// SPDX-License-Identifier: GPL-2.0
/* A vmas array for a whole buffer, read page by page: left for a human. */
static int pin_buffer(unsigned long ubuf, unsigned long nr_pages, struct page **pages)
{
	struct vm_area_struct **vmas;
	long pret;
	int ret = 0;
	unsigned long i;

	vmas = kvmalloc_array(nr_pages, sizeof(*vmas), GFP_KERNEL);
	if (!vmas)
		return -ENOMEM;
	mmap_read_lock(current->mm);
	pret = pin_user_pages(ubuf, nr_pages, FOLL_WRITE | FOLL_LONGTERM, pages, vmas);
	if (pret == nr_pages) {
		for (i = 0; i < nr_pages; i++)
			if (vmas[i]->vm_file && !vma_is_shmem(vmas[i]))
				ret = -EOPNOTSUPP;
	} else {
		ret = pret < 0 ? pret : -EFAULT;
	}
	mmap_read_unlock(current->mm);
	kvfree(vmas);
	return ret;
}
