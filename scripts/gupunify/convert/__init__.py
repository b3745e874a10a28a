"""Step one of the pipeline: convert a tree's callers with cocci/ and apply the core series of
patches/ as commits on the tool's own branch (make spatch)."""
