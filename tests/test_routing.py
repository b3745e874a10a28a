"""Routing: what each series needs first and through which tree it goes."""
import pytest
from conftest import git, gup_unify

from gupunify import maintainers, routing, subseries

MAINTAINERS = """\
MEMORY MANAGEMENT
L:	linux-mm@kvack.org
F:	include/linux/mm.h
F:	mm/

INFINIBAND SUBSYSTEM
L:	linux-rdma@vger.kernel.org
T:	git git://git.kernel.org/pub/scm/linux/kernel/git/rdma/rdma.git
F:	drivers/infiniband/

INFINIBAND TOY DRIVER
M:	Ina Band <ina@example.org>
F:	drivers/infiniband/hw/toy/

NETWORKING [GENERAL]
L:	netdev@vger.kernel.org
T:	git git://git.kernel.org/pub/scm/linux/kernel/git/davem/net.git
T:	git git://git.kernel.org/pub/scm/linux/kernel/git/davem/net-next.git
F:	net/

RDS - RELIABLE DATAGRAM SOCKETS
L:	netdev@vger.kernel.org
L:	linux-rdma@vger.kernel.org
F:	net/rds/

VFS IOV_ITER
F:	lib/iov_iter.c

VIRTIO HOST (VHOST)
L:	netdev@vger.kernel.org
T:	git git://git.kernel.org/pub/scm/linux/kernel/git/mst/vhost.git
F:	drivers/vhost/
"""


def commit(repo, path, line, subject):
    full = repo / path
    full.parent.mkdir(parents=True, exist_ok=True)
    with open(full, "a") as f:
        f.write(line + "\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", subject)
    return git(repo, "rev-parse", "HEAD").strip(), subject


def test_plan_names_the_core_patch_each_group_needs_and_its_tree(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    core = [commit(repo, "mm/gup_benchmark.c", "fix", "mm/gup_benchmark: a fix"),
            commit(repo, "include/linux/mm.h", "#define FOLL_LONGTERM 0x10000",
                   "mm/gup: honour FOLL_LONGTERM in get_user_pages()")]
    toy = [commit(repo, "drivers/infiniband/hw/toy/umem.c",
                  "get_user_pages(a, n, FOLL_LONGTERM, p, NULL);",
                  "IB/toy: use FOLL_LONGTERM, not get_user_pages_longterm()")]
    rds = [commit(repo, "net/rds/rdma.c", "get_user_pages_fast(a, n, w ? FOLL_WRITE : 0, p);",
                  "net/rds: pass gup_flags to get_user_pages_fast()")]
    iov = [commit(repo, "lib/iov_iter.c", "get_user_pages_fast(a, n, FOLL_WRITE, p);",
                  "lib/iov_iter: pass gup_flags to get_user_pages_fast()")]
    vhost = [commit(repo, "drivers/vhost/vhost.c", "get_user_pages_fast(a, 1, FOLL_WRITE, p);",
                    "vhost: pass gup_flags to get_user_pages_fast()")]
    parts = [subseries.SubSeries("core", "core, part 1 of 1", core),
             subseries.SubSeries("callers", "INFINIBAND TOY DRIVER", toy),
             subseries.SubSeries("callers", "RDS - RELIABLE DATAGRAM SOCKETS", rds),
             subseries.SubSeries("callers", "VFS IOV_ITER", iov),
             subseries.SubSeries("callers", "VIRTIO HOST (VHOST)", vhost)]
    files = {id(p): git(repo, "show", "--format=", "--name-only", p.commits[0][0]).split()
             for p in parts}
    owners = maintainers.Maintainers(MAINTAINERS, ["mm", "drivers", "net", "lib",
                                                   "drivers/vhost"])
    routing.plan(str(repo), owners, parts, lambda p: files[id(p)])
    got = [(p.route, p.net, p.depends, p.subject_prefix) for p in parts]
    assert got == [
        ("mm", False, [], "PATCH"),
        # No T: of its own: the broader INFINIBAND SUBSYSTEM's.
        ("git://git.kernel.org/pub/scm/linux/kernel/git/rdma/rdma.git", False,
         ["mm/gup: honour FOLL_LONGTERM in get_user_pages()"], "PATCH"),
        ("net-next (git://git.kernel.org/pub/scm/linux/kernel/git/davem/net-next.git)", True,
         [], "PATCH net-next"),
        ("its maintainers' tree (no T: in MAINTAINERS)", False, [], "PATCH"),
        # netdev is one of its lists, but it has a tree of its own.
        ("git://git.kernel.org/pub/scm/linux/kernel/git/mst/vhost.git", False, [], "PATCH"),
    ]


@pytest.fixture
def written(tree, tmp_path, need_spatch):
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    return tmp_path / "out"


def test_covers_state_the_route_and_net_groups_say_net_next(written):
    net = next(written.glob("*-net-toy"))
    cover = (net / "0000-cover-letter.patch").read_text()
    assert "Subject: [PATCH net-next 0/1] net/toy: move to FOLL_LONGTERM and gup_flags" \
        in cover
    assert "Subject: [PATCH net-next 1/1] net/toy: pass gup_flags" in \
        next(net.glob("0001-*")).read_text()
    assert ("It needs nothing beyond the base, so it can go through net-next at any\n"
            "time (or through mm with the core).") in cover
    kvm = (next(written.glob("*-KVM-x86")) / "0000-cover-letter.patch").read_text()
    assert "Subject: [PATCH 0/1] KVM: x86:" in kvm
    assert "git://git.kernel.org/pub/scm/virt/kvm/kvm.git" in kvm
    treewide = (written / "0000-cover-letter.patch").read_text()
    assert "      through net-next\n" in treewide
    assert "      through git://git.kernel.org/pub/scm/virt/kvm/kvm.git\n" in treewide
    assert "      through mm\n" in treewide        # mm/gup_benchmark's callers
    assert "The core goes through mm." in treewide
