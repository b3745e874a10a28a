"""Who a converted file belongs to: MAINTAINERS entries and the per-subsystem groups, the
subject prefix each group is written with, the tree each series goes through, and the
commit format convert writes and series reads (commitformat)."""
