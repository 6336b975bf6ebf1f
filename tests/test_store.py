"""The local store's contract: saves persist, sync state travels inside each record, one instance per data dir."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checklists.schema import Checklist, Item, Section
from inspector.core.paths import DATA_DIR_ENV, default_data_dir
from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    ProblemEvent,
    Site,
    SyncState,
    Verdict,
)
from inspector.core.store import FORMAT_VERSION, Store, StoreError, StoreLocked, SyncStatus
from tests.store_support import PNG, new_draft, problem_for, reopen

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = Store.open(data_dir)
    yield opened
    opened.close()


def failing(code: str, note: str = "3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行") -> ItemResult:
    return ItemResult(code=code, verdict=Verdict.FAIL, note=note, answered_at=datetime.now(UTC))


def checklist() -> Checklist:
    return Checklist(
        id="residential",
        version="2026.1",
        title="楼院测评表",
        site_type="楼院",
        sections=[Section(title="环境卫生", items=[Item(code="LY-01-01", title="楼道", text="楼道内无堆物堆料")])],
    )


# opening -------------------------------------------------------------------------------------------------------


def test_open_lays_out_the_data_dir_and_keeps_the_device_id(data_dir: Path) -> None:
    with Store.open(data_dir) as store:
        device_id = store.device_id
        assert store.recovery_notes == []
    assert {p.name for p in data_dir.iterdir()} >= {"store.json", "inspections", "problems", "checklists"}
    meta = json.loads((data_dir / "store.json").read_text(encoding="utf-8"))["meta"]["1"]
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["device_id"] == device_id
    with Store.open(data_dir) as again:
        assert again.device_id == device_id


def test_default_data_dir_honours_the_environment(tmp_path: Path) -> None:
    assert default_data_dir({DATA_DIR_ENV: str(tmp_path / "x")}) == tmp_path / "x"
    assert default_data_dir({}).name.lower() == "inspector"


def test_a_closed_store_refuses_work(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError):
        store.sites()


# the lock ------------------------------------------------------------------------------------------------------


def test_a_second_instance_in_the_same_process_is_told_the_dir_is_in_use(store: Store) -> None:
    with pytest.raises(StoreLocked) as caught:
        Store.open(store.data_dir)
    assert str(store.data_dir) in str(caught.value)
    assert "另一个 Inspector 正在使用数据目录" in str(caught.value)
    with pytest.raises(StoreLocked, match="Another Inspector"):
        Store.open(store.data_dir, lang="en")


def test_a_second_instance_in_another_process_is_told_too_and_the_lock_goes_with_close(store: Store) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from inspector.core.store import Store, StoreLocked\n"
        "try:\n"
        "    Store.open(Path(sys.argv[1])).close()\n"
        "except StoreLocked as error:\n"
        "    sys.stdout.write('LOCKED ' + str(error))\n"
        "else:\n"
        "    sys.stdout.write('OPENED')\n"
    )

    def other() -> str:
        result = subprocess.run(
            [sys.executable, "-c", code, str(store.data_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=True,
        )
        return result.stdout

    answer = other()
    assert answer.startswith("LOCKED") and str(store.data_dir) in answer
    store.close()
    assert other() == "OPENED"


# inspections ---------------------------------------------------------------------------------------------------


def test_a_recorded_verdict_survives_reopening_and_marks_the_inspection_dirty(store: Store) -> None:
    draft = new_draft(store)
    first_rev = draft.sync.rev
    updated = store.record_result(draft.id, failing("LY-01-01"), current_code="LY-01-02")
    assert updated.results["LY-01-01"].verdict is Verdict.FAIL
    assert updated.sync.rev != first_rev and updated.sync.state is SyncState.DIRTY
    store = reopen(store)
    loaded = store.inspection(draft.id)
    assert loaded.results["LY-01-01"].note.startswith("3 号楼")
    assert loaded.current_code == "LY-01-02"
    assert loaded.sync.rev == updated.sync.rev
    store.close()


def test_a_later_verdict_replaces_the_earlier_one_for_the_same_item(store: Store) -> None:
    draft = new_draft(store)
    store.record_result(draft.id, failing("LY-01-01"), current_code=None)
    store.record_result(draft.id, ItemResult(code="LY-01-01", verdict=Verdict.PASS), current_code=None)
    store.record_result(draft.id, ItemResult(code="LY-01-02", verdict=Verdict.NA), current_code=None)
    store = reopen(store)
    results = store.inspection(draft.id).results
    assert {code: r.verdict for code, r in results.items()} == {"LY-01-01": Verdict.PASS, "LY-01-02": Verdict.NA}
    store.close()


def test_a_record_file_removed_behind_the_stores_back_is_written_whole_again(store: Store) -> None:
    draft = new_draft(store)
    store.record_result(draft.id, failing("LY-01-01"), current_code=None)
    store = reopen(store)
    store.record_result(draft.id, failing("LY-01-02"), current_code=None)
    path = store.data_dir / "inspections" / f"{draft.id}.json"
    store.close()
    store = Store.open(store.data_dir)
    store.inspection(draft.id)  # its results are in memory now
    path.unlink()
    store.record_result(draft.id, failing("LY-01-03"), current_code=None)
    store = reopen(store)
    assert set(store.inspection(draft.id).results) == {"LY-01-01", "LY-01-02", "LY-01-03"}
    assert store.recovery_notes == []
    store.close()


def test_unknown_inspection_and_mismatched_result_keys_get_clear_errors(store: Store) -> None:
    with pytest.raises(StoreError, match="nope"):
        store.record_result("nope", failing("LY-01-01"), current_code=None)
    bad = Inspection(site_id="s", checklist_id="c", checklist_version="1", results={"A-1": failing("B-2")})
    with pytest.raises(StoreError, match="A-1"):
        store.save_inspection(bad)


def test_returned_records_are_copies_the_caller_owns(store: Store) -> None:
    draft = new_draft(store)
    store.record_result(draft.id, failing("LY-01-01"), current_code=None)
    mine = store.inspection(draft.id)
    mine.results["LY-01-01"].note = "changed only in my copy"
    mine.current_code = "elsewhere"
    assert store.inspection(draft.id).results["LY-01-01"].note.startswith("3 号楼")
    assert store.inspection(draft.id).current_code is None


def test_inspections_are_listed_oldest_first_and_by_site(store: Store) -> None:
    older = Inspection(
        site_id="a", checklist_id="c", checklist_version="1", started_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    newer = Inspection(
        site_id="b", checklist_id="c", checklist_version="1", started_at=datetime(2026, 2, 1, tzinfo=UTC)
    )
    store.save_inspection(newer)
    store.save_inspection(older)
    store = reopen(store)
    assert [i.id for i in store.inspections()] == [older.id, newer.id]
    assert [i.id for i in store.inspections("b")] == [newer.id]
    store.close()


def test_inspections_filter_by_status_and_latest_per_site(store: Store) -> None:
    def started(day: int, site_id: str) -> Inspection:
        inspection = Inspection(
            site_id=site_id, checklist_id="c", checklist_version="1", started_at=datetime(2026, 1, day, tzinfo=UTC)
        )
        store.save_inspection(inspection)
        return inspection

    a1, a2, a3, b1 = started(1, "a"), started(2, "a"), started(3, "a"), started(4, "b")
    store.submit(store.inspection(a1.id), [])
    store.submit(store.inspection(a2.id), [])
    store = reopen(store)
    submitted = InspectionStatus.SUBMITTED
    assert [i.id for i in store.inspections(status=submitted)] == [a1.id, a2.id]
    assert [i.id for i in store.inspections(status=submitted, latest_per_site=True)] == [a2.id]
    assert [i.id for i in store.inspections(status=InspectionStatus.DRAFT, latest_per_site=True)] == [a3.id, b1.id]
    assert [i.id for i in store.inspections(latest_per_site=True)] == [a3.id, b1.id]
    store.close()


def test_draft_for_resumes_the_latest_draft_of_the_site(store: Store) -> None:
    first = new_draft(store, "site-1")
    second = Inspection(site_id="site-1", checklist_id="residential", checklist_version="2026.1")
    store.save_inspection(second)
    store.record_result(second.id, failing("LY-01-01"), current_code="LY-01-01")
    store.submit(store.inspection(first.id), [])
    assert store.draft_for("site-2") is None
    store = reopen(store)
    draft = store.draft_for("site-1")
    assert draft is not None and draft.id == second.id and draft.current_code == "LY-01-01"
    store.close()


# submit and the sync contract ----------------------------------------------------------------------------------


def test_submit_stores_problems_then_freezes_the_inspection(store: Store) -> None:
    draft = new_draft(store)
    store.record_result(draft.id, failing("LY-01-01"), current_code=None)
    inspection = store.inspection(draft.id)
    problem = problem_for(inspection)
    store.submit(inspection, [problem])
    assert inspection.status is InspectionStatus.SUBMITTED and inspection.submitted_at is not None
    with pytest.raises(StoreError, match=draft.id):
        store.record_result(draft.id, failing("LY-01-02"), current_code=None)
    with pytest.raises(StoreError):
        store.save_inspection(store.inspection(draft.id))
    with pytest.raises(StoreError):
        store.submit(store.inspection(draft.id), [])
    store = reopen(store)
    assert store.inspection(draft.id).is_submitted
    assert store.problem(problem.id).description == "楼道堆放纸箱"
    store.close()


def test_pending_holds_dirty_submissions_problems_and_events_but_never_drafts(store: Store) -> None:
    draft = new_draft(store)
    submitted = new_draft(store, "site-2")
    problem = problem_for(submitted)
    store.submit(store.inspection(submitted.id), [problem])
    store = reopen(store)
    pending = store.pending()
    assert [i.id for i in pending.inspections] == [submitted.id]
    assert draft.id not in {i.id for i in pending.inspections}
    assert [p.id for p in pending.problems] == [problem.id]
    assert [e.id for e in pending.events] == [problem.events[0].id]
    assert pending.count == 3
    store.close()


def test_pending_count_agrees_with_pending_without_reading_the_results(store: Store) -> None:
    new_draft(store)
    submitted = new_draft(store, "site-2")
    problem = problem_for(submitted)
    store.submit(store.inspection(submitted.id), [problem])
    store = reopen(store)  # results are read lazily after a reopen
    assert store.pending_count() == 3
    assert store._partial_inspections, "counting must not validate the unsynced results"
    sent = store.pending()
    assert sent.count == 3
    store.mark_synced(
        "inspection", submitted.id, sent.inspections[0].sync.rev, SyncState.SYNCED, server_version=1, message=None
    )
    store.mark_synced(
        "event", sent.events[0].id, sent.events[0].sync.rev, SyncState.SYNCED, server_version=None, message=None
    )
    assert store.pending_count() == store.pending().count == 1  # the problem itself is still unsent
    store.close()


def test_mark_synced_applies_only_to_the_rev_hq_saw(store: Store) -> None:
    submitted = new_draft(store)
    inspection = store.inspection(submitted.id)
    problem = problem_for(inspection)
    store.submit(inspection, [problem])
    sent = store.pending()

    # The problem changed after it was sent: HQ's answer must not hide the newer version.
    newer = store.problem(problem.id)
    newer.responsible_unit = "幸福里社区居委会"
    store.save_problem(newer)
    store.mark_synced(
        "problem", problem.id, sent.problems[0].sync.rev, SyncState.SYNCED, server_version=7, message=None
    )
    store.mark_synced(
        "inspection", inspection.id, sent.inspections[0].sync.rev, SyncState.SYNCED, server_version=3, message=None
    )
    store.mark_synced(
        "event", sent.events[0].id, sent.events[0].sync.rev, SyncState.SYNCED, server_version=None, message=None
    )

    store = reopen(store)
    after = store.pending()
    assert after.inspections == [] and after.events == []
    assert [p.id for p in after.problems] == [problem.id]
    still_dirty = after.problems[0]
    assert still_dirty.responsible_unit == "幸福里社区居委会"
    assert still_dirty.sync.base_rev == sent.problems[0].sync.rev  # based on what HQ holds: no false conflict
    assert still_dirty.sync.server_version == 7
    assert store.inspection(inspection.id).sync.state is SyncState.SYNCED
    assert store.inspection(inspection.id).sync.server_version == 3
    store.mark_synced(
        "problem", problem.id, still_dirty.sync.rev, SyncState.REJECTED, server_version=None, message="单位不存在"
    )
    rejected = store.problem(problem.id)
    assert rejected.sync.state is SyncState.REJECTED and rejected.sync.message == "单位不存在"
    assert store.pending().problems == []
    with pytest.raises(StoreError):
        store.mark_synced("widget", "x", "r", SyncState.SYNCED, server_version=None, message=None)
    store.close()


def test_apply_pulled_merges_hq_problems_keeps_local_events_and_writes_the_cursor(store: Store) -> None:
    inspection = new_draft(store)
    local = problem_for(inspection)
    store.submit(store.inspection(inspection.id), [local])
    local_note = ProblemEvent(problem_id=local.id, kind=EventKind.NOTE, note="居委会已通知物业")
    mine = store.problem(local.id)
    mine.events.append(local_note)
    store.save_problem(mine)

    from_hq = store.problem(local.id)
    from_hq.events = [e for e in from_hq.events if e.id != local_note.id]
    from_hq.events[0].server_order = 1
    from_hq.responsible_unit = "幸福里社区"
    from_hq.deadline = DeadlineRule(kind=DeadlineKind.WORKDAYS, n=5)
    assign = ProblemEvent(
        problem_id=local.id, kind=EventKind.ASSIGN, server_order=2, responsible_unit="幸福里社区", actor="创城办"
    )
    from_hq.events.append(assign)
    from_hq.sync.server_version = 4
    site = Site(id="site-9", name="光明街", site_type="背街小巷")

    for _ in range(2):  # idempotent: the same page twice gives the same state
        store.apply_pulled(sites=[site], checklists=[checklist()], problems=[from_hq], cursor="c-42")
    store = reopen(store)
    merged = store.problem(local.id)
    assert merged.responsible_unit == "幸福里社区" and merged.deadline.n == 5
    assert [e.id for e in merged.events] == [local.events[0].id, assign.id, local_note.id]
    assert [e.sync.state for e in merged.events] == [SyncState.SYNCED, SyncState.SYNCED, SyncState.DIRTY]
    assert [e.id for e in store.pending().events] == [local_note.id]
    assert store.sync_status().cursor == "c-42"
    assert store.site("site-9").name == "光明街"
    assert store.checklist("residential", "2026.1") == checklist()
    store.close()


def test_sites_upsert_by_default_and_replace_on_request(store: Store) -> None:
    store.put_sites([Site(id="a", name="甲小区", site_type="楼院"), Site(id="b", name="乙小区", site_type="楼院")])
    store.put_sites([Site(id="b", name="乙小区（新）", site_type="楼院")])
    assert {s.id: s.name for s in store.sites()} == {"a": "甲小区", "b": "乙小区（新）"}
    store.put_sites([Site(id="c", name="丙街", site_type="背街小巷")], replace=True)
    store = reopen(store)
    assert [s.id for s in store.sites()] == ["c"]
    with pytest.raises(StoreError, match="a"):
        store.site("a")
    store.close()


def test_sync_status_round_trips(store: Store) -> None:
    status = SyncStatus(
        cursor="7",
        last_success=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        last_error="服务器无法连接",
        clock_offset_s=-2.5,
    )
    store.save_sync_status(status)
    store = reopen(store)
    assert store.sync_status() == status
    store.close()


def test_a_checklist_version_is_kept_as_stored(store: Store) -> None:
    store.put_checklist(checklist())
    odd = checklist().model_copy(update={"version": "2026 第 1 版/试行"})
    store.put_checklist(odd)
    store = reopen(store)
    assert store.checklist("residential", "2026.1") == checklist()
    assert store.checklist("residential", "2026 第 1 版/试行") == odd
    assert store.checklist("residential", "1999") is None
    store.close()


# Chinese text ---------------------------------------------------------------------------------------------------


def test_chinese_text_round_trips_and_the_files_stay_readable(store: Store) -> None:
    draft = new_draft(store)
    note = "3 号楼 2 单元楼道堆放纸箱、旧家具，影响通行；“消防通道”被占"
    store.record_result(draft.id, failing("LY-01-01", note), current_code=None)
    store.put_sites([Site(id="s", name="幸福里小区", site_type="楼院", district="鼓楼区", street="华大街道")])
    store = reopen(store)
    assert store.inspection(draft.id).results["LY-01-01"].note == note
    assert store.site("s").street == "华大街道"
    raw = next((store.data_dir / "inspections").glob("*.json")).read_text(encoding="utf-8")
    assert note.replace("“", "\\u201c") not in raw  # no \u escapes
    assert "3 号楼 2 单元楼道堆放纸箱" in raw and "\\u" not in raw
    assert "幸福里小区" in (store.data_dir / "reference.json").read_text(encoding="utf-8")
    store.close()


# attachments ---------------------------------------------------------------------------------------------------


def test_a_photo_is_copied_in_under_its_hash_once(store: Store, tmp_path: Path) -> None:
    photo = tmp_path / "楼道.JPG"
    photo.write_bytes(PNG)
    same = tmp_path / "copy.png"
    same.write_bytes(PNG)
    first = store.add_attachment(photo)
    second = store.add_attachment(same)
    assert first.sha256 == second.sha256 and first.size == len(PNG)
    assert first.mime == "image/png" and first.filename == "楼道.JPG"  # told by its bytes, not its suffix
    assert store.attachment_path(first.sha256).read_bytes() == PNG
    assert [a.sha256 for a in store.pending().attachments] == [first.sha256]
    store.mark_attachment_uploaded(first.sha256)
    store = reopen(store)
    assert store.attachment(first.sha256).uploaded
    assert store.pending().attachments == []
    store.close()


def test_missing_unreadable_and_non_image_files_get_errors_naming_them(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="找不到照片文件") as missing:
        store.add_attachment(tmp_path / "nope.jpg")
    assert "nope.jpg" in str(missing.value)
    folder = tmp_path / "looks-like.jpg"
    folder.mkdir()
    with pytest.raises(StoreError, match="无法读取照片文件") as unreadable:
        store.add_attachment(folder)
    assert "looks-like.jpg" in str(unreadable.value)
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match=r"notes\.txt"):
        store.add_attachment(text)
    with pytest.raises(StoreError):
        store.attachment_path("../../etc/passwd")
    assert [p for p in (store.data_dir / "attachments").iterdir()] == []


def test_a_photo_is_accepted_by_what_its_bytes_are_not_by_its_suffix(store: Store, tmp_path: Path) -> None:
    pdf = tmp_path / "整改照片.jpg"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    with pytest.raises(StoreError, match="不是支持的照片格式") as refused:
        store.add_attachment(pdf)
    assert "整改照片.jpg" in str(refused.value)
    assert [p for p in (store.data_dir / "attachments").iterdir()] == []
    png = tmp_path / "楼道.jpeg"
    png.write_bytes(PNG)
    stored = store.add_attachment(png)
    assert stored.mime == "image/png" and stored.filename == "楼道.jpeg"
    assert store.attachment_path(stored.sha256).read_bytes() == PNG
    heif = tmp_path / "手机.heif"
    heif.write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32)
    assert store.add_attachment(heif).mime == "image/heif"  # one family: the suffix's name is kept


def test_putting_the_same_checklist_again_writes_nothing(store: Store) -> None:
    store.put_checklist(checklist())
    written = store.revision
    store.put_checklist(checklist())  # every new walk pins its checklist
    assert store.revision == written
    changed = checklist().model_copy(update={"title": "楼院检查表（修订）"})
    store.put_checklist(changed)  # HQ may re-publish different content under the same key: it is kept
    assert store.revision == written + 1
    store = reopen(store)
    assert store.checklist("residential", "2026.1") == changed
    store.close()


def test_the_sync_state_module_needs_neither_tinydb_nor_the_store() -> None:
    """The sync client types against `inspector.core.sync_state`; importing it must not pull in the store."""
    code = (
        "import sys\n"
        "import inspector.core.sync_state\n"
        "assert 'tinydb' not in sys.modules and 'inspector.core.store' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
