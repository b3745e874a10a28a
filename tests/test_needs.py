"""needs.broken(): which functions a core commit removes or gives a new prototype, so
that the series converting their calls come before it."""
from gupunify.series import needs

# A kernel prototype spans lines: dropping a parameter often keeps its first one.
PROTOTYPE = """\
diff --git a/include/linux/mm.h b/include/linux/mm.h
--- a/include/linux/mm.h
+++ b/include/linux/mm.h
@@ -2087,12 +2087,9 @@ extern int __access_remote_vm(struct mm_struct *mm, unsigned long addr,
 long get_user_pages_remote(struct mm_struct *mm,
 			    unsigned long start, unsigned long nr_pages,
 			    unsigned int gup_flags, struct page **pages,
-			    struct vm_area_struct **vmas, int *locked);
+			    int *locked);
 long get_user_pages(unsigned long start, unsigned long nr_pages,
-			    unsigned int gup_flags, struct page **pages,
-			    struct vm_area_struct **vmas);
+		    unsigned int gup_flags, struct page **pages);
 long get_user_pages_unlocked(unsigned long start, unsigned long nr_pages,
 		    struct page **pages, unsigned int gup_flags);
"""

DEFINITION = """\
diff --git a/mm/gup.c b/mm/gup.c
--- a/mm/gup.c
+++ b/mm/gup.c
@@ -2200,9 +2200,8 @@ EXPORT_SYMBOL(get_user_pages_remote);
 /**
  * get_user_pages() - pin user pages in memory
  */
 long get_user_pages(unsigned long start, unsigned long nr_pages,
-		unsigned int gup_flags, struct page **pages,
-		struct vm_area_struct **vmas)
+		unsigned int gup_flags, struct page **pages)
 {
 	if (!is_valid_gup_args(pages, NULL, &gup_flags, FOLL_TOUCH))
 		return -EINVAL;
"""

REMOVED = """\
diff --git a/include/linux/mm.h b/include/linux/mm.h
--- a/include/linux/mm.h
+++ b/include/linux/mm.h
@@ -10,6 +10,3 @@
 struct page;
-long get_user_pages_longterm(unsigned long start,
-		unsigned long nr_pages, unsigned int gup_flags,
-		struct page **pages, struct vm_area_struct **vmas);
 
"""

BODY_ONLY = """\
diff --git a/mm/gup.c b/mm/gup.c
--- a/mm/gup.c
+++ b/mm/gup.c
@@ -10,7 +10,7 @@
 long get_user_pages(unsigned long start, unsigned long nr_pages,
 		unsigned int gup_flags, struct page **pages)
 {
-	return __gup(start, nr_pages, gup_flags, pages, NULL);
+	return __gup(start, nr_pages, gup_flags, pages);
 }
"""


def test_a_parameter_dropped_below_the_first_line_is_a_new_prototype():
    assert needs.broken(PROTOTYPE) == {"get_user_pages_remote": "changes",
                                       "get_user_pages": "changes"}


def test_a_definition_under_its_kernel_doc_is_one():
    assert needs.broken(DEFINITION) == {"get_user_pages": "changes"}


def test_a_prototype_removed_over_several_lines_is_removed():
    assert needs.broken(REMOVED) == {"get_user_pages_longterm": "removes"}


def test_a_changed_body_breaks_no_caller():
    assert needs.broken(BODY_ONLY) == {}
