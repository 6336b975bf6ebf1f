"""Damage that must not lose data: a photo's metadata is rebuilt from its bytes, an unsynced problem is derived
again from its submitted inspection (a synced one is fetched again from HQ), a submitted inspection comes back
submitted, and a file whose checksum fails but which still validates is reported, never accepted in silence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.records import Inspection, InspectionStatus, ItemResult, SyncState, Verdict
from inspector.core.store import Store
from inspector.core.submission import problem_id_for, problems_for_submission
from inspector.core.sync_state import SyncStatus
from sync.client import sync_once
from sync.credentials import Credentials
from tests.store_support import PNG, reopen
from tests.sync_support import admin, photo_file, site, submit_into
from tests.test_store_recovery import DAMAGE, damaged_copies, garbled, truncated
from tests.test_sync_client import device, hq

__all__ = ["admin", "device", "hq", "site"]  # shared fixtures: pytest finds them among this module's names


def _deleted(path: Path) -> None:
    path.unlink()


PHOTO_DAMAGE = {"deleted": _deleted, "truncated": truncated, "garbled": garbled, "empty": DAMAGE["empty"]}


def submitted_with_failure(store: Store, photos: list[str] | None = None) -> Inspection:
    """A submitted inspection with one 不符合 (and its problem, derived as the walk derives it)."""
    inspection = Inspection(
        site_id="site-1", checklist_id="c", checklist_version="1", device_id=store.device_id, inspector="张三"
    )
    store.save_inspection(inspection)
    failed = ItemResult(code="A-1", verdict=Verdict.FAIL, note="楼道堆放纸箱", photos=photos or [])
    store.record_result(inspection.id, failed, current_code=None)
    store.record_result(inspection.id, ItemResult(code="A-2", verdict=Verdict.PASS), current_code=None)
    draft = store.inspection(inspection.id)
    finished = draft.model_copy(update={"finished_at": draft.started_at})
    problems, _ = problems_for_submission(finished, None, None, store.problems(), "张三", store.device_id)
    store.submit(finished, problems)
    return store.inspection(inspection.id)


def problem_file(data_dir: Path, problem_id: str) -> Path:
    return data_dir / "problems" / f"{problem_id}.json"


# 1. photo metadata ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", PHOTO_DAMAGE)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_damaged_photo_metadata_is_rebuilt_from_the_bytes_at_open(tmp_path: Path, how: str, lang: str) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(PNG)
    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        sha = store.add_attachment(source).sha256
        submitted_with_failure(store, photos=[sha])
    meta = data_dir / "attachments" / f"{sha}.json"
    PHOTO_DAMAGE[how](meta)
    with Store.open(data_dir, lang=lang) as store:
        (note,) = store.recovery_notes  # told at open, before anything asks for the photo
        assert str(meta) in note and sha in note
        assert ("重建" if lang == "zh" else "rebuilt") in note
        attachment = store.attachment(sha)
        assert (attachment.mime, attachment.size, attachment.uploaded) == ("image/png", len(PNG), False)
        assert sha in [a.sha256 for a in store.pending().attachments]
    with Store.open(data_dir) as again:
        assert again.recovery_notes == []
        assert again.attachment(sha).size == len(PNG)


async def test_a_photo_whose_metadata_was_lost_reaches_hq_on_the_first_sync(
    device: Credentials, site: str, tmp_path: Path
) -> None:
    """The issue's case: the first sync ended on "StoreError: No photo <sha>", the next exited 0, HQ never got it."""
    data_dir = tmp_path / "device"
    with Store.open(data_dir) as store:
        photo = store.add_attachment(photo_file(tmp_path))
        submit_into(store, site, 4, fail_every=2, photo=photo.sha256)
    (data_dir / "attachments" / f"{photo.sha256}.json").unlink()
    with Store.open(data_dir) as store:
        assert len(store.recovery_notes) == 1
        report = await sync_once(store, device, lang="en")
        assert report.ok, report.error
        assert report.photos_uploaded == 1 and store.pending().attachments == []
        assert store.attachment(photo.sha256).uploaded


def test_photo_metadata_deleted_while_open_is_rebuilt_on_demand(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(PNG)
    with Store.open(tmp_path / "data") as store:
        sha = store.add_attachment(source).sha256
        store.mark_attachment_uploaded(sha)
        store = reopen(store)
        (store.data_dir / "attachments" / f"{sha}.json").unlink()
        (store.data_dir / "attachments" / f"{sha}.json.bak").unlink()
        assert store.attachment(sha).mime == "image/png"  # the index was not read yet: never "No photo"
        store.close()


def test_photo_bytes_that_do_not_match_their_name_are_moved_aside_not_vouched_for(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(PNG)
    with Store.open(tmp_path / "data") as store:
        sha = store.add_attachment(source).sha256
    folder = tmp_path / "data" / "attachments"
    (folder / f"{sha}.json").unlink()
    (folder / sha).write_bytes(PNG + b"tampered")
    with Store.open(tmp_path / "data", lang="en") as store:
        (note,) = store.recovery_notes
        assert sha in note and str(folder / sha) in note
        (aside,) = damaged_copies(folder / sha)
        assert aside.read_bytes() == PNG + b"tampered"  # kept for a person to look at
        assert store.pending().attachments == []
    with Store.open(tmp_path / "data") as again:
        assert again.recovery_notes == []


# 2. problems ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["truncated", "garbled", "empty"])
def test_a_damaged_unsynced_problem_is_derived_again_from_its_submitted_inspection(tmp_path: Path, how: str) -> None:
    with Store.open(tmp_path) as store:
        inspection = submitted_with_failure(store)
        (original,) = store.problems()
    assert original.id == problem_id_for(inspection.id, "A-1")
    path = problem_file(tmp_path, original.id)
    DAMAGE[how](path)
    with Store.open(tmp_path, lang="en") as store:
        rebuilt = store.problem(original.id)
        no_sync: dict[str, object] = {"sync": True, "events": {"__all__": {"sync"}}}
        assert rebuilt.model_dump(exclude=no_sync) == original.model_dump(exclude=no_sync)
        assert rebuilt.sync.state is SyncState.DIRTY
        assert [p.id for p in store.pending().problems] == [original.id]
        (note,) = store.recovery_notes
        assert str(path) in note and original.id in note and inspection.id in note
        assert len(damaged_copies(path)) == 1
    with Store.open(tmp_path) as again:
        assert again.recovery_notes == []


def test_a_damaged_problem_left_beside_a_draft_by_a_cut_short_submit_comes_back(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        inspection = Inspection(site_id="site-1", checklist_id="c", checklist_version="1", inspector="张三")
        store.save_inspection(inspection)
        store.record_result(inspection.id, ItemResult(code="A-1", verdict=Verdict.FAIL), current_code=None)
        draft = store.inspection(inspection.id)
        (problem,), _ = problems_for_submission(draft, None, None, [], "张三", draft.device_id)
        store.save_problem(problem)  # the submit stopped here: its problem files are written, the inspection is not
        store.save_sync_status(SyncStatus(cursor="7"))
    emptied = problem_file(tmp_path, problem.id)
    emptied.write_bytes(b"")
    with Store.open(tmp_path, lang="en") as store:
        assert store.problem(problem.id).item_code == "A-1"
        assert store.pending().problems == []  # a draft's problems go with it, not before
        assert store.sync_status().cursor == "7"
        (note,) = store.recovery_notes
        assert problem.id in note and inspection.id in note


def test_a_damaged_synced_problem_is_fetched_again_from_hq(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        inspection = submitted_with_failure(store)
        (problem,) = store.problems()
        store.mark_synced(
            "inspection", inspection.id, inspection.sync.rev, SyncState.SYNCED, server_version=1, message=None
        )
        store.mark_synced("problem", problem.id, problem.sync.rev, SyncState.SYNCED, server_version=2, message=None)
        store.save_sync_status(SyncStatus(cursor="42"))
    path = problem_file(tmp_path, problem.id)
    path.with_name(path.name + ".bak").unlink()
    truncated(path)
    with Store.open(tmp_path, lang="en") as store:
        (note,) = store.recovery_notes
        assert str(path) in note and problem.id in note and "HQ" in note
        assert store.sync_status().cursor is None  # the next pull starts over, and HQ sends the problem again
        assert store.problems() == []


async def test_a_synced_problem_lost_with_its_file_comes_back_from_hq_at_the_next_sync(
    device: Credentials, site: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "device"
    with Store.open(data_dir) as store:
        _, (problem,) = submit_into(store, site, 3, fail_every=3)
        first = await sync_once(store, device, lang="en")
        assert first.ok, first.error
        assert store.sync_status().cursor is not None
    path = problem_file(data_dir, problem.id)
    path.with_name(path.name + ".bak").unlink()
    truncated(path)
    with Store.open(data_dir, lang="en") as store:
        assert len(store.recovery_notes) == 1 and store.sync_status().cursor is None
        second = await sync_once(store, device, lang="en")
        assert second.ok, second.error
        back = store.problem(problem.id)
        assert back.sync.state is SyncState.SYNCED and back.item_code == problem.item_code


# 3. submitted inspections ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_submitted_inspection_comes_back_submitted(tmp_path: Path, how: str) -> None:
    with Store.open(tmp_path) as store:
        inspection = submitted_with_failure(store)
    path = tmp_path / "inspections" / f"{inspection.id}.json"
    DAMAGE[how](path)
    with Store.open(tmp_path) as store:
        restored = store.inspection(inspection.id)
        assert restored.status is InspectionStatus.SUBMITTED
        assert restored.model_dump() == inspection.model_dump()
        assert [i.id for i in store.pending().inspections] == [inspection.id]
        (note,) = store.recovery_notes
        assert str(path) in note and inspection.id in note and "已提交的版本" in note


def test_a_submitted_inspection_with_only_a_draft_backup_says_the_submission_was_undone(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        inspection = submitted_with_failure(store)
    path = tmp_path / "inspections" / f"{inspection.id}.json"
    backup = path.with_name(path.name + ".bak")
    draft = json.loads(path.read_bytes())
    draft.pop("crc32")
    draft["inspection"]["1"].update(status="draft", submitted_at=None)
    from inspector.core.store.fileformat import dumps_tinydb

    backup.write_bytes(dumps_tinydb(draft))  # what submit left before it kept a submitted backup
    truncated(path)
    with Store.open(tmp_path, lang="en") as store:
        assert store.inspection(inspection.id).status is InspectionStatus.DRAFT
        (note,) = store.recovery_notes
        assert str(path) in note and inspection.id in note
        assert "submission was undone" in note and "submitted again" in note


# 4. a checksum that fails on a file that still validates --------------------------------------------------------


def _hand_edit_deadline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert '"n": 5' in text
    path.write_text(text.replace('"n": 5', '"n": 9'), encoding="utf-8")


def test_a_problem_edited_by_hand_without_backup_is_kept_with_a_note(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        submitted_with_failure(store)
        (problem,) = store.problems()
    path = problem_file(tmp_path, problem.id)
    _hand_edit_deadline(path)
    with Store.open(tmp_path, lang="en") as store:
        assert store.problem(problem.id).deadline.n == 9
        (note,) = store.recovery_notes
        assert str(path) in note and problem.id in note and "checksum" in note
    with Store.open(tmp_path) as again:
        assert again.recovery_notes == []  # told once: the kept content now carries its checksum
        assert again.problem(problem.id).deadline.n == 9


def test_a_file_edited_by_hand_with_a_good_backup_of_its_version_is_restored(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        inspection = submitted_with_failure(store)
    path = tmp_path / "inspections" / f"{inspection.id}.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("楼道堆放纸箱", "楼道干净"), encoding="utf-8")
    with Store.open(tmp_path, lang="en") as store:
        assert store.inspection(inspection.id).results["A-1"].description == "楼道堆放纸箱"
        (note,) = store.recovery_notes
        assert str(path) in note and inspection.id in note and "checksum" in note
        (aside,) = damaged_copies(path)
        assert "楼道干净" in aside.read_text(encoding="utf-8")
