static int by_vma(struct vm_area_struct *vma, unsigned long a,
		  struct page **p)
{
	return get_user_pages_fast(a, 1, vma->vm_flags & VM_WRITE, p);
}
