"""One run of a job, made once where the job starts and passed down: the tree, its
repository (locked while the run lasts), the identity its commits carry, and the options
that the layers below read."""
import contextlib
import dataclasses

from .repository import identity, repository
from .tree import KernelTree


@dataclasses.dataclass
class RunContext:
    tree: KernelTree
    repo: str                   # the repository holding tree (a plain directory's scratch import)
    identity: tuple             # (name, email) that commits and sign-offs carry
    explicit_identity: bool     # given with --identity, not read from git config
    branch: str                 # the tool's branch
    reports_dir: str | None     # where reports go (None: reports/ of the checkout)
    min_sites: int              # a MAINTAINERS group with fewer sites merges into its parent's
    prefix_overrides: dict | None   # {group or path: subject prefix}, from --prefix(-file)


@contextlib.contextmanager
def opened(kernel, who, branch, reports_dir, min_sites, prefix_overrides):
    """The RunContext of kernel, its repository locked until the block ends.

    who is the --identity text; without it the tree's git config names the
    person, and a run with neither stops here, before any work.
    """
    tree = KernelTree(kernel)
    author = identity(tree.path, who)
    with repository(tree) as repo:
        yield RunContext(tree, repo, author, who is not None, branch, reports_dir, min_sites,
                         prefix_overrides)
