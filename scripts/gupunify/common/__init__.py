"""The ground every job stands on: running programs, the tree, its repository (lock,
identity, refs) and worktrees, the run context each job is given, locks, output guards,
the kernel build layer, the spatch runner, git notes and the report files. Imports
nothing from the packages above it."""
