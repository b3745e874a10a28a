"""The report files every job writes: its folder of the tree, and each report as
Markdown for people and JSON for programs, replaced whole."""
import json
import os

from .. import ROOT
from . import outputs
from .util import die, kept, write_atomic

REPORTS_DIR = os.path.join(ROOT, "reports")
# The renamed section's words where the migration's [report] has none.
RENAMED = ("They named a function the migration removes in a file that no longer calls it; "
           "each is renamed in the commit that converts the file's calls.")


def cell(text):
    """text as one table cell: a | would end the cell, a newline the row."""
    return " ".join(str(text).split()).replace("|", "\\|")


def code(text):
    """text as a code span in one table cell (GFM reads \\| in a code span as |)."""
    text = cell(text)
    fence = "``" if "`" in text else "`"
    return "%s%s%s" % (fence, " %s " % text if fence == "``" else text, fence)


def folder(reports_dir, tree):
    """reports_dir/<tree name>, checked before any work: the run may write there."""
    if reports_dir and os.path.exists(reports_dir) and not os.path.isdir(reports_dir):
        die("reports directory %s is a file, not a directory" % reports_dir)
    where = os.path.join(reports_dir or REPORTS_DIR, tree.name)
    outputs.check_folder(where, "reports directory", "reports", tree.path)
    return where


def write_pair(data, text, where, tree_path, stem, sort_keys=True):
    """Write stem.json (data) and stem.md (text) in the tree's reports folder, atomically.

    Every report of every job is written here: the folder is marked as the
    reports of tree_path (outputs.py) and each file replaced whole.
    sort_keys=False keeps data's own order (buildcheck's per-step records
    read best as made).
    """
    outputs.mark(where, "reports", tree_path)
    write_atomic(os.path.join(where, stem + ".json"),
                 json.dumps(data, indent=1, sort_keys=sort_keys) + "\n")
    write_atomic(os.path.join(where, stem + ".md"), text)
    kept("report %s" % os.path.join(where, stem + ".md"))
    return where
