"""The store's side of sync beyond one round: what pending offers, resending everything to a new or restored HQ,
and the demo sites leaving on the first pull from HQ."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.records import Inspection, Site, SyncState
from inspector.core.store import Store
from tests.store_support import PNG, new_draft, problem_for, reopen


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "data")
    yield opened
    opened.close()


def acknowledge_everything(store: Store) -> None:
    pending = store.pending()
    for kind, records in (("inspection", pending.inspections), ("problem", pending.problems)):
        for record in records:
            store.mark_synced(kind, record.id, record.sync.rev, SyncState.SYNCED, server_version=1, message=None)
    for event in pending.events:
        store.mark_synced("event", event.id, event.sync.rev, SyncState.SYNCED, server_version=1, message=None)
    for attachment in pending.attachments:
        store.mark_attachment_uploaded(attachment.sha256)


def test_pending_skips_problems_left_behind_a_draft(store: Store) -> None:
    """A submit that failed after writing its problems leaves them beside a draft: they wait for the submit."""
    unsubmitted = new_draft(store)
    orphan = problem_for(unsubmitted)
    store.save_problem(orphan)  # what a failed submit leaves on disk
    submitted = new_draft(store, "site-2")
    kept = problem_for(submitted)
    store.submit(store.inspection(submitted.id), [kept])
    pulled = problem_for(Inspection(site_id="site-3", checklist_id="residential", checklist_version="2026.1"))
    store.save_problem(pulled)  # its inspection is not on this laptop (found by someone else): unaffected
    store = reopen(store)
    pending = store.pending()
    assert sorted(p.id for p in pending.problems) == sorted([kept.id, pulled.id])
    assert sorted(e.id for e in pending.events) == sorted([kept.events[0].id, pulled.events[0].id])
    store.submit(store.inspection(unsubmitted.id), [store.problem(orphan.id)])
    assert orphan.id in {p.id for p in store.pending().problems}
    store.close()


def test_mark_all_unsynced_offers_everything_again_with_the_same_revs(store: Store, tmp_path: Path) -> None:
    photo = tmp_path / "p.png"
    photo.write_bytes(PNG)
    sha = store.add_attachment(photo).sha256
    local_draft = new_draft(store, "site-0")
    submitted = new_draft(store)
    problem = problem_for(submitted)
    store.submit(store.inspection(submitted.id), [problem])
    acknowledge_everything(store)
    assert store.pending().count == 0 and store.pending().attachments == []
    revs = {
        "inspection": store.inspection(submitted.id).sync.rev,
        "problem": store.problem(problem.id).sync.rev,
        "event": store.problem(problem.id).events[0].sync.rev,
    }

    assert store.mark_all_unsynced() == 4  # inspection, problem, event, photo
    store = reopen(store)
    pending = store.pending()
    assert [i.id for i in pending.inspections] == [submitted.id]  # the draft stays on the laptop
    assert local_draft.id not in {i.id for i in pending.inspections}
    assert [p.id for p in pending.problems] == [problem.id] and len(pending.events) == 1
    assert pending.inspections[0].sync.rev == revs["inspection"]
    assert pending.problems[0].sync.rev == revs["problem"]
    assert pending.events[0].sync.rev == revs["event"]
    assert [a.sha256 for a in pending.attachments] == [sha]
    assert store.mark_all_unsynced() == 0  # already pending: nothing to rewrite
    store.close()


def test_first_pull_from_hq_drops_demo_sites_it_did_not_send(store: Store) -> None:
    demo = [Site(id=f"demo-{n}", name=f"示范点位 {n}", site_type="楼院") for n in range(3)]
    store.put_sites([*demo, Site(id="local-1", name="本地点位", site_type="楼院")])
    inspected = new_draft(store, "demo-0")
    hq_sites = [Site(id="hq-1", name="幸福里小区", site_type="楼院"), demo[2]]
    store.apply_pulled(sites=hq_sites, checklists=[], problems=[], cursor="c1", drop_demo_sites=True)
    store = reopen(store)
    assert sorted(s.id for s in store.sites()) == ["demo-2", "hq-1", "local-1"]
    assert store.inspection(inspected.id).site_id == "demo-0"  # inspections of a demo site stay as they are
    store.put_sites(demo[:1])
    store.apply_pulled(sites=[], checklists=[], problems=[], cursor="c2")  # a later page: no drop
    assert "demo-0" in {s.id for s in store.sites()}
    store.close()
