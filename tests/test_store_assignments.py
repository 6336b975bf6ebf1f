"""The store keeps HQ's assignments (who covers which site in which 批次) and the photos HQ refused for good."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inspector.core.records import Assignment, Site
from inspector.core.store import Store, StoreError
from inspector.core.store.fileformat import dumps_tinydb
from tests.store_support import PNG, reopen

BATCH = "2026 第 9 期督查（创文）"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "data")
    yield opened
    opened.close()


def pulled(store: Store, *assignments: Assignment, cursor: str = "c", replace: bool = False) -> None:
    store.apply_pulled(
        sites=[], checklists=[], problems=[], cursor=cursor, assignments=list(assignments), replace_assignments=replace
    )


def load_file(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    data.pop("crc32")
    return data


# assignments ---------------------------------------------------------------------------------------------------


def test_assignments_round_trip_with_chinese_text_in_the_same_write_as_the_cursor(store: Store) -> None:
    site = Site(id="s-幸福里", name="幸福里小区", site_type="楼院")
    mine = Assignment(id="a1", user="张三", site_id="s-幸福里", batch=BATCH, server_version=7)
    theirs = Assignment(id="a2", user="李四", site_id="s-光明街", server_version=8)
    store.apply_pulled(sites=[site], checklists=[], problems=[], cursor="e:8", assignments=[mine, theirs])
    store = reopen(store)
    assert store.assignments() == [mine, theirs]
    assert store.assignments()[0].batch == BATCH and store.assignments()[0].user == "张三"
    assert store.assigned_site_ids() == {"s-幸福里", "s-光明街"}
    assert store.assigned_site_ids("张三") == {"s-幸福里"} and store.assigned_site_ids("王五") == set()
    assert store.sync_status().cursor == "e:8" and store.site("s-幸福里").name == "幸福里小区"
    raw = (store.data_dir / "reference.json").read_text(encoding="utf-8")
    assert BATCH in raw and "张三" in raw and "\\u" not in raw  # one file, readable UTF-8
    store.close()


def test_hq_changes_merge_by_id_an_ended_one_goes_and_none_leaves_them_alone(store: Store) -> None:
    pulled(store, Assignment(id="a1", user="张三", site_id="s1"), Assignment(id="a2", user="张三", site_id="s2"))
    pulled(store, Assignment(id="a1", user="张三", site_id="s1", batch=BATCH), cursor="c2")  # changed
    pulled(store, Assignment(id="a2", user="张三", site_id="s2", active=False), cursor="c3")  # ended
    pulled(store, Assignment(id="a9", user="张三", site_id="s9", active=False), cursor="c4")  # ended, never known
    assert [(a.id, a.batch) for a in store.assignments()] == [("a1", BATCH)]
    store.apply_pulled(sites=[], checklists=[], problems=[], cursor="c5")  # a page without assignments
    store = reopen(store)
    assert [a.id for a in store.assignments()] == ["a1"] and store.sync_status().cursor == "c5"
    assert store.assigned_site_ids("张三") == {"s1"}
    store.close()


def test_a_pull_from_the_start_replaces_what_the_device_held(store: Store) -> None:
    pulled(store, Assignment(id="old", user="张三", site_id="s1"))
    pulled(store, Assignment(id="new", user="张三", site_id="s2"), replace=True)
    assert [a.id for a in store.assignments()] == ["new"]
    pulled(store, replace=True)  # a first page with no assignments: the device holds none until they come
    assert store.assignments() == [] and store.assigned_site_ids() == set()


def test_applying_the_same_page_twice_changes_nothing(store: Store) -> None:
    page = [Assignment(id="a1", user="张三", site_id="s1"), Assignment(id="a2", user="李四", site_id="s2")]
    pulled(store, *page)
    before = load_file(store.data_dir / "reference.json")
    pulled(store, *page)
    assert store.assignments() == page
    assert load_file(store.data_dir / "reference.json") == before


def test_returned_assignments_are_copies(store: Store) -> None:
    pulled(store, Assignment(id="a1", user="张三", site_id="s1"))
    store.assignments()[0].site_id = "elsewhere"
    assert store.assigned_site_ids() == {"s1"}


def test_an_older_reference_file_without_assignments_opens_unchanged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        store.apply_pulled(
            sites=[Site(id="s1", name="幸福里小区", site_type="楼院")], checklists=[], problems=[], cursor="e:3"
        )
    path = data_dir / "reference.json"
    data = load_file(path)
    assert "assignments" in data
    del data["assignments"]  # as written before the store kept assignments
    path.write_bytes(dumps_tinydb(data))
    with Store.open(data_dir) as store:
        assert store.recovery_notes == []
        assert store.assignments() == [] and store.sync_status().cursor == "e:3"
        assert [s.name for s in store.sites()] == ["幸福里小区"]
        pulled(store, Assignment(id="a1", user="张三", site_id="s1"), cursor="e:4")
    with Store.open(data_dir) as store:
        assert [a.id for a in store.assignments()] == ["a1"] and [s.id for s in store.sites()] == ["s1"]


# photos HQ refused ---------------------------------------------------------------------------------------------


def add_photo(store: Store, folder: Path, name: str, tail: bytes) -> str:
    path = folder / name
    path.write_bytes(PNG + tail)
    return store.add_attachment(path).sha256


def test_a_rejected_photo_leaves_pending_and_keeps_its_reason(store: Store, tmp_path: Path) -> None:
    refused = add_photo(store, tmp_path, "楼道.png", b"1")
    kept = add_photo(store, tmp_path, "门口.png", b"2")
    reason = "总部拒绝了请求（HTTP 415）：不是图片"
    store.mark_attachment_rejected(refused, reason)
    store.mark_attachment_rejected(refused, reason)  # again: nothing changes
    assert [a.sha256 for a in store.pending().attachments] == [kept]
    store = reopen(store)
    assert [a.sha256 for a in store.pending().attachments] == [kept]
    assert [(a.sha256, a.rejected, a.filename) for a in store.rejected_attachments()] == [(refused, reason, "楼道.png")]
    assert store.attachment(refused).rejected == reason and not store.attachment(refused).uploaded
    assert store.attachment_path(refused).read_bytes() == PNG + b"1"  # the bytes are kept
    store.mark_attachment_uploaded(refused)  # HQ holds it after all (e.g. pulled back): no longer rejected
    assert store.rejected_attachments() == [] and store.attachment(refused).rejected is None
    with pytest.raises(StoreError):
        store.mark_attachment_rejected("0" * 64, reason)
    with pytest.raises(StoreError):
        store.mark_attachment_rejected("not-a-hash", reason)
    store.close()


def test_older_photo_metadata_without_the_rejected_field_opens_unchanged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        sha = add_photo(store, tmp_path, "a.png", b"x")
    path = data_dir / "attachments" / f"{sha}.json"
    data = load_file(path)
    del data["attachment"]["1"]["rejected"]  # as written before the field existed
    path.write_bytes(dumps_tinydb(data))
    with Store.open(data_dir) as store:
        assert [a.sha256 for a in store.pending().attachments] == [sha]
        assert store.attachment(sha).rejected is None and store.rejected_attachments() == []
        assert store.recovery_notes == []
