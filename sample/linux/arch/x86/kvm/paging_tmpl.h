/* SPDX-License-Identifier: GPL-2.0 */
/* A template header, included once per paging mode: functions are FNAME(x). */
static int FNAME(cmpxchg_gpte)(unsigned long ptep_user, struct page **page)
{
	return get_user_pages_fast(ptep_user, 1, 1, page);
}
