/* No [B]: the lock also covers find_vma(), so it is not only around the call. */
static long pin_checked(unsigned long addr, struct page **pages)
{
	struct vm_area_struct *vma;
	long ret = -EFAULT;

	down_read(&current->mm->mmap_sem);
	vma = find_vma(current->mm, addr);
	if (vma && !(vma->vm_flags & VM_IO))
		ret = get_user_pages(addr, 1, 0, pages, NULL);
	up_read(&current->mm->mmap_sem);
	return ret;
}
