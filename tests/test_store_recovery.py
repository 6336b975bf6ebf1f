"""Damaged files are moved aside (never deleted), restored from their backup when it is good, and the user is told;
format versions: a newer store is refused untouched, an old one (v1 db.json) is migrated with a backup kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.records import Inspection, ItemResult, Site, Verdict
from inspector.core.store import FORMAT_VERSION, Store, StoreError
from inspector.core.store.fileformat import dumps_tinydb


def truncated(path: Path) -> None:
    payload = path.read_bytes()
    path.write_bytes(payload[: len(payload) // 2])


def emptied(path: Path) -> None:
    path.write_bytes(b"")


def garbled(path: Path) -> None:
    payload = bytearray(path.read_bytes())
    middle = len(payload) // 2
    payload[middle : middle + 12] = b"\x00\xff@@garbage"
    path.write_bytes(bytes(payload))


def wrong_version(path: Path) -> None:
    """An intact file (its checksum matches) that says it is in another format version."""
    data = json.loads(path.read_bytes())
    data.pop("crc32")
    data["meta"]["1"]["format_version"] = FORMAT_VERSION + 97
    path.write_bytes(dumps_tinydb(data))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": truncated,
    "empty": emptied,
    "garbled": garbled,
    "wrong-version": wrong_version,
}


def damaged_copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".damaged-*"))


def two_inspections(data_dir: Path) -> tuple[Inspection, Inspection]:
    """A with two saved versions (so its backup holds the first), and B, which must open whatever happens to A."""
    with Store.open(data_dir) as store:
        a = Inspection(site_id="site-a", checklist_id="c", checklist_version="1", device_id=store.device_id)
        b = Inspection(site_id="site-b", checklist_id="c", checklist_version="1", device_id=store.device_id)
        store.save_inspection(a)
        store.save_inspection(b)
        store.record_result(a.id, ItemResult(code="A-1", verdict=Verdict.PASS), current_code=None)
        store.record_result(a.id, ItemResult(code="A-2", verdict=Verdict.FAIL, note="垃圾桶满溢"), current_code=None)
        store.record_result(b.id, ItemResult(code="B-1", verdict=Verdict.NA), current_code=None)
    return a, b


def inspection_file(data_dir: Path, inspection: Inspection) -> Path:
    return data_dir / "inspections" / f"{inspection.id}.json"


# record files ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_inspection_is_moved_aside_and_restored_from_its_backup(tmp_path: Path, how: str) -> None:
    a, b = two_inspections(tmp_path)
    path = inspection_file(tmp_path, a)
    DAMAGE[how](path)
    damaged_bytes = path.read_bytes()
    with Store.open(tmp_path) as store:
        restored = store.inspection(a.id)
        assert set(restored.results) == {"A-1"}  # the previous version: the last save was lost with the damage
        assert set(store.inspection(b.id).results) == {"B-1"}
        (aside,) = damaged_copies(path)
        assert aside.read_bytes() == damaged_bytes  # kept as it was, never deleted
        (note,) = store.recovery_notes
        assert str(path) in note and aside.name in note and "备份" in note
    with Store.open(tmp_path) as again:
        assert again.recovery_notes == []
        assert set(again.inspection(a.id).results) == {"A-1"}


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_inspection_without_backup_is_kept_aside_and_the_rest_opens(tmp_path: Path, how: str) -> None:
    a, b = two_inspections(tmp_path)
    path = inspection_file(tmp_path, a)
    path.with_name(path.name + ".bak").unlink()
    DAMAGE[how](path)
    with Store.open(tmp_path, lang="en") as store:
        assert [i.id for i in store.inspections()] == [b.id]
        assert not path.exists() and len(damaged_copies(path)) == 1
        (note,) = store.recovery_notes
        assert str(path) in note and "no usable backup" in note and "Everything else opened" in note
        with pytest.raises(StoreError):
            store.inspection(a.id)


def test_a_body_found_invalid_on_first_use_is_recovered_like_at_open(tmp_path: Path) -> None:
    """Opening validates headers only (the checksum vouches for every byte); a result that no longer validates,
    e.g. after a records change, is caught when the results are first read."""
    a, b = two_inspections(tmp_path)
    path = inspection_file(tmp_path, a)
    data = json.loads(path.read_bytes())
    data.pop("crc32")
    data["results"]["1"]["verdict"] = "maybe"
    path.write_bytes(dumps_tinydb(data))
    with Store.open(tmp_path) as store:
        assert store.recovery_notes == []
        assert {i.id for i in store.inspections()} == {a.id, b.id}
        assert set(store.inspection(a.id).results) == {"A-1"}
        assert len(damaged_copies(path)) == 1
        assert len(store.recovery_notes) == 1 and "results.1.verdict" in store.recovery_notes[0]


def test_a_file_edited_by_hand_that_still_validates_is_kept_with_a_note(tmp_path: Path) -> None:
    a, _ = two_inspections(tmp_path)
    path = inspection_file(tmp_path, a)
    path.write_text(path.read_text(encoding="utf-8").replace("垃圾桶满溢", "垃圾桶满溢，周边有散落垃圾"), "utf-8")
    with Store.open(tmp_path) as store:
        (note,) = store.recovery_notes  # its checksum fails: said, not accepted in silence
        assert str(path) in note and a.id in note
        assert store.inspection(a.id).results["A-2"].note == "垃圾桶满溢，周边有散落垃圾"


def test_a_damaged_problem_is_restored_from_its_backup(tmp_path: Path) -> None:
    from inspector.core.records import EventKind, Problem, ProblemEvent

    with Store.open(tmp_path) as store:
        problem = Problem(inspection_id="i", site_id="s", item_code="A-1", item_text="条文", description="第一版")
        store.save_problem(problem)
        problem.events.append(ProblemEvent(problem_id=problem.id, kind=EventKind.NOTE, note="第二版"))
        store.save_problem(problem)
    path = tmp_path / "problems" / f"{problem.id}.json"
    truncated(path)
    with Store.open(tmp_path) as store:
        assert store.problem(problem.id).events == []
        assert len(damaged_copies(path)) == 1 and len(store.recovery_notes) == 1


# leftovers of a crash -------------------------------------------------------------------------------------------


def test_temp_files_left_by_a_crash_are_promoted_or_dropped(tmp_path: Path) -> None:
    a, b = two_inspections(tmp_path)
    folder = tmp_path / "inspections"
    a_path, b_path = inspection_file(tmp_path, a), inspection_file(tmp_path, b)
    a_bytes = a_path.read_bytes()
    # a complete first version whose rename never happened: promoted
    a_path.rename(folder / f"{a.id}.json.tmp")
    # a save that never returned (its replace did not happen): dropped, the file keeps its version
    (folder / f"{b.id}.json.tmp").write_bytes(b_path.read_bytes()[:40])
    # a torn first write of a record that never existed: dropped
    (folder / "01900000-0000-7000-8000-000000000000.json.tmp").write_bytes(b'{"crc32": "00')
    with Store.open(tmp_path) as store:
        assert store.recovery_notes == []
        assert {i.id for i in store.inspections()} == {a.id, b.id}
    assert a_path.read_bytes() == a_bytes
    assert list(folder.glob("*.tmp")) == []


# store.json and reference.json ---------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncated", "empty", "garbled"])  # versions: the two tests below
def test_a_damaged_store_file_comes_back_from_its_backup_with_the_same_device_id(tmp_path: Path, how: str) -> None:
    with Store.open(tmp_path) as store:
        device_id = store.device_id
    DAMAGE[how](tmp_path / "store.json")
    with Store.open(tmp_path) as store:
        assert store.device_id == device_id
        (note,) = store.recovery_notes
        assert "store.json" in note
    assert len(damaged_copies(tmp_path / "store.json")) == 1


def test_a_store_file_without_backup_is_rebuilt_keeping_the_device_id_of_the_records(tmp_path: Path) -> None:
    a, b = two_inspections(tmp_path)
    (tmp_path / "store.json.bak").unlink()
    garbled(tmp_path / "store.json")
    with Store.open(tmp_path) as store:
        assert store.device_id == a.device_id
        assert {i.id for i in store.inspections()} == {a.id, b.id}
        (note,) = store.recovery_notes
        assert "store.json" in note and a.device_id in note
    with Store.open(tmp_path) as again:
        assert again.device_id == a.device_id and again.recovery_notes == []


@pytest.mark.parametrize("value", ["二", -1, None, "2", 2.5, True])
def test_a_store_file_with_a_nonsense_version_is_damage(tmp_path: Path, value: object) -> None:
    with Store.open(tmp_path) as store:
        device_id = store.device_id
    path = tmp_path / "store.json"
    data = json.loads(path.read_bytes())
    data.pop("crc32")
    data["meta"]["1"]["format_version"] = value
    path.write_bytes(dumps_tinydb(data))
    with Store.open(tmp_path) as store:
        assert store.device_id == device_id and len(store.recovery_notes) == 1
    assert len(damaged_copies(path)) == 1


def test_a_store_from_a_newer_app_is_refused_and_left_untouched(tmp_path: Path) -> None:
    two_inspections(tmp_path)
    path = tmp_path / "store.json"
    data = json.loads(path.read_bytes())
    data.pop("crc32")
    data["meta"]["1"]["format_version"] = FORMAT_VERSION + 1
    path.write_bytes(dumps_tinydb(data))
    (tmp_path / "inspections" / "leftover.json.tmp").write_bytes(b"{}")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "store.lock"}
    with pytest.raises(StoreError, match="更新") as refused:
        Store.open(tmp_path)
    assert str(tmp_path) in str(refused.value)
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != "store.lock"}
    assert after == before
    with pytest.raises(StoreError, match="update"):
        Store.open(tmp_path, lang="en")


@pytest.mark.parametrize("how", DAMAGE)
def test_damaged_reference_data_comes_back_from_its_backup(tmp_path: Path, how: str) -> None:
    with Store.open(tmp_path) as store:
        store.put_sites([Site(id="a", name="甲小区", site_type="楼院")])
        store.put_sites([Site(id="b", name="乙小区", site_type="楼院")])
    DAMAGE[how](tmp_path / "reference.json")
    with Store.open(tmp_path) as store:
        assert [s.id for s in store.sites()] == ["a"]
        assert "reference.json" in store.recovery_notes[0]


def test_damaged_reference_data_without_backup_resets_sites_and_cursor(tmp_path: Path) -> None:
    from inspector.core.store import SyncStatus

    a, _ = two_inspections(tmp_path)
    with Store.open(tmp_path) as store:
        store.put_sites([Site(id="a", name="甲小区", site_type="楼院")])
        store.save_sync_status(SyncStatus(cursor="99"))
    (tmp_path / "reference.json.bak").unlink()
    truncated(tmp_path / "reference.json")
    with Store.open(tmp_path) as store:
        assert store.sites() == [] and store.sync_status().cursor is None
        assert store.inspection(a.id).site_id == "site-a"
        (note,) = store.recovery_notes
        assert "下次同步" in note


# migration from format 1 ----------------------------------------------------------------------------------------


def v1_database() -> dict[str, dict[str, dict[str, object]]]:
    """What the obvious TinyDB use wrote: one db.json, TinyDB's JSONStorage layout, results inside inspections."""
    started = datetime(2025, 6, 1, 9, 30, tzinfo=UTC).isoformat()
    return {
        "sites": {"1": {"id": "site-1", "name": "幸福里小区", "site_type": "楼院", "district": "鼓楼区"}},
        "inspections": {
            "1": {
                "id": "insp-1",
                "site_id": "site-1",
                "checklist_id": "residential",
                "checklist_version": "2025.2",
                "device_id": "laptop-7",
                "status": "submitted",
                "started_at": started,
                "submitted_at": started,
                "results": {"LY-01": {"code": "LY-01", "verdict": "fail", "note": "楼道堆放杂物"}},
            },
            "2": {
                "id": "insp-2",
                "site_id": "site-1",
                "checklist_id": "residential",
                "checklist_version": "2025.2",
                "started_at": started,
                "results": [{"code": "LY-02", "verdict": "pass"}],
            },
            "3": {"id": "insp-broken", "checklist_id": "residential"},
        },
        "problems": {
            "1": {
                "id": "prob-1",
                "inspection_id": "insp-1",
                "site_id": "site-1",
                "item_code": "LY-01",
                "item_text": "楼道内无堆物堆料",
                "description": "楼道堆放杂物",
                "events": [{"id": "ev-1", "problem_id": "prob-1", "kind": "register"}],
            }
        },
    }


def test_a_v1_database_is_migrated_and_kept_as_a_backup(tmp_path: Path) -> None:
    original = json.dumps(v1_database(), ensure_ascii=False).encode("utf-8")
    (tmp_path / "db.json").write_bytes(original)
    with Store.open(tmp_path) as store:
        assert store.device_id == "laptop-7"
        assert [i.id for i in store.inspections()] == ["insp-1", "insp-2"]
        assert store.inspection("insp-1").results["LY-01"].note == "楼道堆放杂物"
        assert store.inspection("insp-1").is_submitted
        assert set(store.inspection("insp-2").results) == {"LY-02"}
        assert [e.id for e in store.problem("prob-1").events] == ["ev-1"]
        assert store.site("site-1").district == "鼓楼区"
        notes = " ".join(store.recovery_notes)
        assert "insp-broken" in notes and "db.json.v1-backup" in notes
    assert not (tmp_path / "db.json").exists()
    assert (tmp_path / "db.json.v1-backup").read_bytes() == original
    meta = json.loads((tmp_path / "store.json").read_bytes())["meta"]["1"]
    assert meta["format_version"] == FORMAT_VERSION
    with Store.open(tmp_path) as again:
        assert again.recovery_notes == [] and len(again.inspections()) == 2


def test_a_migration_cut_short_runs_again_without_duplicates(tmp_path: Path) -> None:
    original = json.dumps(v1_database(), ensure_ascii=False).encode("utf-8")
    (tmp_path / "db.json").write_bytes(original)
    Store.open(tmp_path).close()
    # as if the app died after writing the record files but before store.json and the rename
    (tmp_path / "store.json").unlink()
    (tmp_path / "store.json.bak").unlink()
    (tmp_path / "db.json.v1-backup").rename(tmp_path / "db.json")
    with Store.open(tmp_path) as store:
        assert [i.id for i in store.inspections()] == ["insp-1", "insp-2"]
        assert len(store.problems()) == 1
    assert (tmp_path / "db.json.v1-backup").read_bytes() == original


def test_a_garbled_v1_database_is_kept_aside_and_a_new_store_opens(tmp_path: Path) -> None:
    (tmp_path / "db.json").write_bytes(b'{"sites": {"1": {"id": ')
    with Store.open(tmp_path) as store:
        assert store.inspections() == []
        assert "db.json" in store.recovery_notes[0]
    assert len(damaged_copies(tmp_path / "db.json")) == 1
