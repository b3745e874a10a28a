/*
 * Macro hints for spatch, added to Coccinelle's standard.h by the driver
 * (--macro-file-builtins). Only what real callers of the GUP API need.
 */

/* arch/x86/kvm/paging_tmpl.h names its functions FNAME(x); standard.h's
 * FNAME(name) expands to "name," and so hides them all. */
#define FNAME(name) name
