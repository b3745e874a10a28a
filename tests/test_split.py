"""MAINTAINERS matching, the per-subsystem groups and the recipients fallback, on small inputs."""
from gupunify.groups import maintainers, split

MAINTAINERS = """\
Legend lines are indented, so they are no section:
	M: Mail patches to

INFINIBAND SUBSYSTEM
M:	Jay Gee <jay@example.org>
L:	linux-rdma@vger.kernel.org
F:	drivers/infiniband/
X:	drivers/infiniband/ulp/

HFI1 DRIVER
M:	Hugh Fi <hfi@example.org>
R:	Rev Yewer <rev@example.org>
L:	linux-rdma@vger.kernel.org
F:	drivers/infiniband/hw/hfi1

GENWQE
M:	Gen Wq <genwqe@example.org>
F:	drivers/misc/genwqe/

CHAR and MISC DRIVERS
M:	Greg K. <greg@example.org>
F:	drivers/misc/

X86 ARCHITECTURE
M:	Ex Eightysix <x86@example.org>
L:	x86-list@example.org
F:	arch/x86/

KVM X86
M:	Kay Vee <kay@example.org>
L:	kvm@vger.kernel.org
F:	arch/x86/kvm/

MM FILES
M:	Em Em <mm@example.org>
M:	Em Em <mm@elsewhere.example.org>
F:	mm/*.c
N:	gup

THE REST
M:	Linus Torvalds <torvalds@linux-foundation.org>
L:	linux-kernel@vger.kernel.org
F:	*
F:	*/
"""
DIRS = ["drivers/infiniband/hw/hfi1"]


def owners_of(path):
    m = maintainers.Maintainers(MAINTAINERS, DIRS)
    return [s.name for s in m.owners(path)]


def test_parse_skips_legend_and_reads_entries():
    sections = maintainers.parse(MAINTAINERS)
    assert [s.name for s in sections][:2] == ["INFINIBAND SUBSYSTEM", "HFI1 DRIVER"]
    assert sections[1].values("R") == ["Rev Yewer <rev@example.org>"]
    assert sections[-1].catch_all and not sections[0].catch_all


def test_patterns_follow_get_maintainer_rules():
    # A pattern naming a directory (no slash) covers it like dir/ does.
    assert owners_of("drivers/infiniband/hw/hfi1/user_pages.c") == \
        ["HFI1 DRIVER", "INFINIBAND SUBSYSTEM"]
    # X: excludes, F: mm/*.c is one level only, N: is a regex on the path.
    assert owners_of("drivers/infiniband/ulp/srp.c") == []
    assert owners_of("mm/gup.c") == ["MM FILES"]
    assert owners_of("mm/sub/other.c") == []
    assert owners_of("lib/gup_test.c") == ["MM FILES"]


def test_small_group_joins_its_parent_of_the_same_community():
    m = maintainers.Maintainers(MAINTAINERS, DIRS)
    groups = split.plan(m, {"drivers/infiniband/hw/hfi1/user_pages.c": 1,
                            "drivers/infiniband/core/umem.c": 2,
                            "drivers/misc/genwqe/card_utils.c": 1,
                            "arch/x86/kvm/paging_tmpl.h": 1}, min_sites=2)
    by = {g.name: g for g in groups}
    # hfi1 shares linux-rdma with its parent; genwqe has no list of its own.
    assert by["INFINIBAND SUBSYSTEM"].files == ["drivers/infiniband/core/umem.c",
                                                 "drivers/infiniband/hw/hfi1/user_pages.c"]
    assert by["INFINIBAND SUBSYSTEM"].merged == ["HFI1 DRIVER"]
    assert by["CHAR and MISC DRIVERS"].files == ["drivers/misc/genwqe/card_utils.c"]
    # KVM's patches go through KVM, not through the x86 tree: no list in common.
    assert by["KVM X86"].files == ["arch/x86/kvm/paging_tmpl.h"]
    assert "X86 ARCHITECTURE" not in by
    assert [g.prefix for g in groups] == ["infiniband", "misc/genwqe", "x86/kvm"]


def test_threshold_one_keeps_every_owner():
    m = maintainers.Maintainers(MAINTAINERS, DIRS)
    groups = split.plan(m, {"drivers/infiniband/hw/hfi1/user_pages.c": 1,
                            "drivers/infiniband/core/umem.c": 1}, min_sites=1)
    assert sorted(g.name for g in groups) == ["HFI1 DRIVER", "INFINIBAND SUBSYSTEM"]


def test_files_nobody_owns_group_by_directory():
    m = maintainers.Maintainers(MAINTAINERS, DIRS)
    groups = split.plan(m, {"drivers/virt/fsl_hypervisor.c": 1,
                            "drivers/platform/goldfish/goldfish_pipe.c": 1})
    assert sorted(g.name for g in groups) == [
        "no entry for drivers/platform/goldfish", "no entry for drivers/virt"]


def test_subject_prefix():
    assert split.subject_prefix(["drivers/media/v4l2-core/videobuf-dma-sg.c"]) == \
        "media/v4l2-core"
    assert split.subject_prefix(["drivers/infiniband/hw/hfi1/user_pages.c"]) == \
        "infiniband/hfi1"
    assert split.subject_prefix(["mm/gup_benchmark.c"]) == "mm/gup_benchmark"
    assert split.subject_prefix(["net/rds/info.c", "net/rds/rdma.c"]) == "net/rds"
    assert split.subject_prefix(["arch/powerpc/kvm/e500_mmu.c",
                                 "arch/powerpc/kvm/book3s_64_mmu_hv.c"]) == "powerpc/kvm"
    assert split.subject_prefix(["fs/a.c", "kernel/b.c"]) == "treewide"


def test_fallback_recipients_like_get_maintainer():
    m = maintainers.Maintainers(MAINTAINERS, DIRS)
    to, cc = m.recipients(["drivers/infiniband/hw/hfi1/user_pages.c"])
    # Deepest section first; reviewers in To; THE REST's maintainer left out;
    # a name with a dot quoted; Cc has the lists, nobody twice.
    assert to == ["Hugh Fi <hfi@example.org>", "Rev Yewer <rev@example.org>",
                  "Jay Gee <jay@example.org>"]
    assert cc == ["linux-rdma@vger.kernel.org", "linux-kernel@vger.kernel.org"]
    to, cc = m.recipients(["drivers/misc/foo.c"])
    assert to == ['"Greg K." <greg@example.org>']
    # The same person under two addresses is named once.
    to, _ = m.recipients(["mm/gup.c"])
    assert to == ["Em Em <mm@example.org>"]


BROKEN = MAINTAINERS.replace("F:\tdrivers/misc/genwqe/\n", """\
F:\tdrivers/misc/genwqe/
F:\tdrivers/misc/genwqe/gen[wqe.c
X:\tdrivers/misc/genwqe/(old
N:\tgenwqe_(
""")


def test_invalid_patterns_are_skipped_with_a_warning(capsys):
    """A pattern that is no valid regex matches nothing and is named once on stderr;
    the section's other patterns still work (get_maintainer.pl would die on it)."""
    m = maintainers.Maintainers(BROKEN, DIRS)
    assert [s.name for s in m.owners("drivers/misc/genwqe/card_utils.c")] == \
        ["GENWQE", "CHAR and MISC DRIVERS"]
    assert [s.name for s in m.owners("drivers/misc/genwqe/old/x.c")] == \
        ["GENWQE", "CHAR and MISC DRIVERS"]
    assert [s.name for s in m.owners("drivers/misc/genwqe/gen[wqe.c")] == \
        ["GENWQE", "CHAR and MISC DRIVERS"]
    m.owners("drivers/misc/genwqe/other.c")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("gup-unify: MAINTAINERS: GENWQE: skipping N: genwqe_( (")
    assert lines[1].startswith("gup-unify: MAINTAINERS: GENWQE: skipping X: "
                               "drivers/misc/genwqe/(old (")
    assert lines[2].startswith("gup-unify: MAINTAINERS: GENWQE: skipping F: "
                               "drivers/misc/genwqe/gen[wqe.c (")
