/* A template header (arch/x86/kvm/paging_tmpl.h) names functions FNAME(x). */
static int FNAME(cmpxchg_gpte)(struct kvm_vcpu *vcpu, pt_element_t __user *ptep_user)
{
	struct page *page;
	int npages;

	npages = get_user_pages_fast((unsigned long)ptep_user, 1, 1, &page);
	return npages != 1;
}
