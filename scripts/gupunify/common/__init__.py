"""The ground every job stands on: running programs, the tree and its repository, the
scratch worktree, locks, output guards, the kernel build layer, the spatch runner and the
report files. Imports nothing from the packages above it."""
