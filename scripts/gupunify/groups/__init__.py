"""Who a converted file belongs to: MAINTAINERS entries and the per-subsystem groups, the
subject prefix each group is written with, and the tree each series goes through."""
