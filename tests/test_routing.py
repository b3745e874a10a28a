"""Routing: what each series needs first and through which tree it goes."""
import pytest
from conftest import git, gup_unify

from gupunify.groups import maintainers, routing
from gupunify.series import subseries

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


def test_plan_names_each_tree_as_its_maintainers_do_and_who_takes_it(tmp_path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    core = [commit(repo, "include/linux/mm.h", "#define FOLL_LONGTERM 0x10000",
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
    routing.plan(owners, parts, lambda p: files[id(p)])
    got = [(p.route, p.tree, p.net, p.subject_prefix, p.unnamed) for p in parts]
    assert got == [
        # MEMORY MANAGEMENT has no M: (as in v5.0): nobody is named to take it.
        ("mm", None, False, "PATCH", "MEMORY MANAGEMENT names no maintainer (no M: in "
         "MAINTAINERS): its patches go To its list, linux-mm@kvack.org."),
        # No T: of its own: the broader INFINIBAND SUBSYSTEM's, by its name.
        ("rdma", "git://git.kernel.org/pub/scm/linux/kernel/git/rdma/rdma.git", False,
         "PATCH", None),
        ("net-next", "git://git.kernel.org/pub/scm/linux/kernel/git/davem/net-next.git", True,
         "PATCH net-next", "RDS - RELIABLE DATAGRAM SOCKETS names no maintainer (no M: in "
         "MAINTAINERS): its patches go To its lists, netdev@vger.kernel.org, "
         "linux-rdma@vger.kernel.org."),
        (None, None, False, "PATCH", "VFS IOV_ITER names no maintainer (no M: in "
         "MAINTAINERS): its patches go To its lists."),
        # netdev is one of its lists, but it has a tree of its own.
        ("vhost", "git://git.kernel.org/pub/scm/linux/kernel/git/mst/vhost.git", False,
         "PATCH", "VIRTIO HOST (VHOST) names no maintainer (no M: in MAINTAINERS): its "
         "patches go To its list, netdev@vger.kernel.org."),
    ]


@pytest.fixture
def written(tree, tmp_path, need_spatch):
    out = gup_unify("series", str(tree), "--output", str(tmp_path / "out"),
                    "--reports", str(tmp_path / "rep"), scratch=tmp_path / "s")
    assert out.returncode == 0, out.stderr
    return tmp_path / "out"


def test_covers_state_the_route_and_net_groups_say_net_next(written):
    net = next(written.glob("*-net-toy"))
    patch = next(net.glob("0001-*")).read_text()
    # One patch: no cover letter; what it needs and where it goes are its notes.
    assert not (net / "0000-cover-letter.patch").exists()
    assert "Subject: [PATCH net-next] net/toy: pass gup_flags" in patch
    notes = " ".join(patch.split("\n---\n", 1)[1].split("\ndiff --git")[0].split())
    assert "It can go through the net-next tree at any time, or through mm with the " \
        "core." in notes
    kvm = next(next(written.glob("*-KVM-x86")).glob("0001-*")).read_text()
    assert "Subject: [PATCH] KVM: x86:" in kvm
    assert "It can go through the kvm tree" in " ".join(kvm.split())
    assert "git://" not in kvm.split("\ndiff --git")[0]
    overview = (written / "overview.txt").read_text()
    assert "through net-next tree\n" in overview
    assert "through kvm tree\n" in overview
    assert "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86); through kvm tree" in overview
    assert "MEMORY MANAGEMENT; through mm\n" in overview        # mm/gup_benchmark's callers
