/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A module's compat header: each gone function beside what takes its place,
 * the side chosen by a build-time probe.  Quiet, but for a shim that drops
 * the long-term pinning.  A line ending in "flagged" is reported.
 */
#ifdef DRV_HAVE_GUP_LONGTERM
#define drv_gup_longterm(s, n, f, p, v) get_user_pages_longterm(s, n, f, p, v)
#else
#define drv_gup_longterm(s, n, f, p, v) get_user_pages(s, n, (f) | FOLL_LONGTERM, p, v)
#endif

#ifdef DRV_HAVE_GUP_FAST_ONLY
#define drv_gup_irq(s, n, w, p) get_user_pages_fast_only(s, n, (w) ? FOLL_WRITE : 0, p)
#else
#define drv_gup_irq(s, n, w, p) __get_user_pages_fast(s, n, w, p)
#endif

#ifndef DRV_HAVE_GUP_LONGTERM
#define get_user_pages_longterm get_user_pages /* flagged */
#endif
