"""The photo picker and the checks on a picked photo: listing by capture time, attaching by number through Pilot,
the warnings the inspector confirms, the files refused by name, and the evidence rule's photo count on submit.

Every photo is a real file made with Pillow (JPEG with and without EXIF times and orientations, PNG)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Static

from checklists.schema import Checklist, EvidenceRule, Item, Section
from inspector.core import photo_files
from inspector.core.photo_files import PhotoFileError, check_photo, list_photos
from inspector.core.records import Site, Verdict
from inspector.core.store import Store
from inspector.core.walk import Walk, WalkError, start_or_resume
from inspector.tui.app import InspectorApp
from inspector.tui.screens.failure import FailureScreen
from inspector.tui.screens.ledger import ConfirmScreen
from inspector.tui.screens.photo_picker import PhotoPickerScreen
from inspector.tui.screens.summary import SummaryScreen
from inspector.tui.screens.walk import WalkScreen
from inspector.tui.widgets.photo_preview import PhotoPreview
from tests.photo_support import jpeg_bytes, small_png, write_photo
from tests.tui_support import open_demo_store, screen_text

NOW = datetime.now().astimezone().replace(microsecond=0)


def phone_folder(folder: Path) -> dict[str, Path]:
    """Five photos whose capture order differs from their file times and names (copies from a phone get new file
    times; EXIF keeps when each was taken)."""
    copied = NOW - timedelta(minutes=1)  # every file copied just now...
    return {
        # ...but taken at different times, by EXIF
        "oldest": write_photo(folder, "IMG_0009.jpg", jpeg_bytes(taken=NOW - timedelta(hours=3)), mtime=copied),
        "newest": write_photo(
            folder, "IMG_0001.jpg", jpeg_bytes(taken=NOW - timedelta(minutes=10), orientation=6), mtime=copied
        ),
        "middle": write_photo(
            folder, "IMG_0005.jpg", jpeg_bytes(taken=NOW - timedelta(hours=1), orientation=3), mtime=copied
        ),
        # no EXIF: their file time is all there is
        "png": write_photo(folder, "screenshot.png", small_png(), mtime=NOW - timedelta(minutes=30)),
        "plain": write_photo(folder, "wechat.jpg", jpeg_bytes(color=(200, 30, 30)), mtime=NOW - timedelta(hours=2)),
    }


# --- the core ---------------------------------------------------------------------------------------------------


def test_photos_are_listed_newest_taken_first(tmp_path: Path) -> None:
    photos = phone_folder(tmp_path / "DCIM")
    (tmp_path / "DCIM" / "notes.txt").write_text("not listed")
    write_photo(tmp_path / "DCIM" / "100APPLE", "IMG_0100.jpg", jpeg_bytes(taken=NOW - timedelta(minutes=5)))
    listed = list_photos([tmp_path / "DCIM", tmp_path / "missing-folder"])
    assert [p.name for p in listed] == [
        "IMG_0100.jpg",  # one level down, as in a DCIM copy
        "IMG_0001.jpg",
        "screenshot.png",
        "IMG_0005.jpg",
        "wechat.jpg",
        "IMG_0009.jpg",
    ]
    by_name = {p.name: p for p in listed}
    assert by_name["IMG_0001.jpg"].from_exif and not by_name["screenshot.png"].from_exif
    assert by_name["IMG_0009.jpg"].taken_at == NOW - timedelta(hours=3)
    assert by_name["wechat.jpg"].size == photos["plain"].stat().st_size


def test_broken_files_and_non_images_are_refused_by_name_and_reason(tmp_path: Path) -> None:
    whole = jpeg_bytes((400, 300))
    cut = write_photo(tmp_path, "传输中断.jpg", whole[: len(whole) // 2])
    pdf = write_photo(tmp_path, "通知.jpg", b"%PDF-1.7\n" + b"x" * 200)
    with pytest.raises(PhotoFileError) as broken:
        check_photo(cut)
    assert "传输中断.jpg" in broken.value.message("zh") and "损坏" in broken.value.message("zh")
    assert "damaged" in broken.value.message("en")
    with pytest.raises(PhotoFileError) as not_image:
        check_photo(pdf)
    assert "通知.jpg" in not_image.value.message("zh") and "is not a photo" in not_image.value.message("en")
    with pytest.raises(PhotoFileError) as missing:
        check_photo(tmp_path / "gone.jpg")
    assert "gone.jpg" in missing.value.message("en")
    assert check_photo(write_photo(tmp_path, "ok.png", small_png())).name == "ok.png"


def test_the_time_warning_is_hours_away_from_the_walk(tmp_path: Path) -> None:
    start, end = NOW - timedelta(hours=1), NOW
    near = check_photo(write_photo(tmp_path, "near.jpg", jpeg_bytes(taken=NOW - timedelta(hours=4))))
    far = check_photo(write_photo(tmp_path, "far.jpg", jpeg_bytes(taken=NOW - timedelta(days=2))))
    assert photo_files.time_warning(near, start, end) is None
    warning = photo_files.time_warning(far, start, end, "en")
    assert warning is not None and "far.jpg" in warning and "more than 4 hours" in warning


def test_photo_folders_are_a_setting_of_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert photo_files.load_settings(data).folders == [data / "inbox"]
    photo_files.add_folder(data, tmp_path)
    assert photo_files.load_settings(data).folders == [tmp_path.resolve(), data / "inbox"]
    (data / photo_files.SETTINGS_FILE).write_text("{broken", encoding="utf-8")
    damaged = photo_files.load_settings(data, "en")
    assert damaged.folders == [data / "inbox"] and damaged.problem and "photos.json" in damaged.problem


# --- the picker through Pilot -----------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def make_app(store: Store, lang: str = "zh") -> InspectorApp:
    return InspectorApp(store, lang=lang, sync_enabled=False)


async def fail_first_item(pilot, query: str = "lmxq") -> FailureScreen:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *query, "enter", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, WalkScreen)
    await pilot.press("2")
    await pilot.pause()
    panel = pilot.app.screen
    assert isinstance(panel, FailureScreen)
    return panel


async def open_picker(pilot) -> PhotoPickerScreen:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await pilot.pause()
    picker = pilot.app.screen
    assert isinstance(picker, PhotoPickerScreen)
    await until(pilot, lambda: picker.listed)
    return picker


async def until(pilot, done) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `done()` (a worker's result is drawn); a bounded wait, so a bug fails, not hangs."""
    for _ in range(400):
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app never got there")


async def shows(pilot, *texts: str) -> str:  # type: ignore[no-untyped-def]
    """The screen once it shows all of `texts` (a pushed dialog is drawn a few frames after it is pushed)."""
    for _ in range(100):
        text = screen_text(pilot.app)
        if all(t in text for t in texts):
            return text
        await pilot.pause(0.02)
    raise AssertionError(f"{texts} not on screen:\n{text}")


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()  # the worker's answer is handled, then what it showed is drawn


async def test_two_photos_picked_by_number_are_attached_and_stored(data_dir: Path, tmp_path: Path) -> None:
    photos = phone_folder(tmp_path / "DCIM")
    photo_files.add_folder(data_dir, tmp_path / "DCIM")
    store = open_demo_store(data_dir)
    app = make_app(store)
    async with app.run_test(size=(100, 32)) as pilot:
        panel = await fail_first_item(pilot)
        code = panel.item.code
        picker = await open_picker(pilot)
        assert [p.path for p in picker.photos][:2] == [photos["newest"], photos["png"]]
        text = screen_text(app)
        assert "IMG_0001.jpg" in text and "screenshot.png" in text
        preview = picker.query_one(PhotoPreview)
        await until(pilot, lambda: preview.shown == photos["newest"])  # decoded in a worker, then shown
        await pilot.press("1", "3")  # the newest and the one taken an hour ago
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is panel
        result = store.inspection(panel.walk.inspection.id).results[code]
        assert len(result.photos) == 2
        originals = [result.photo_originals[sha] for sha in result.photos]
        assert [store.attachment_path(o).read_bytes() for o in originals] == [
            photos["newest"].read_bytes(),
            photos["middle"].read_bytes(),
        ]
        assert "照片 2 张" in screen_text(app)
        # Open again: the two attached are marked.
        picker = await open_picker(pilot)
        text = screen_text(app)
        marked = [line for line in text.splitlines() if " ✓ " in line]
        assert len(marked) == 2 and any("IMG_0001.jpg" in line for line in marked)
        assert any("IMG_0005.jpg" in line for line in marked)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is panel and len(store.inspection(panel.walk.inspection.id).results[code].photos) == 2
    store.close()


async def test_a_photo_taken_days_ago_needs_confirming(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "Pictures"
    old = write_photo(folder, "去年的照片.jpg", jpeg_bytes(taken=NOW - timedelta(days=3)))
    photo_files.add_folder(data_dir, folder)
    store = open_demo_store(data_dir)
    app = make_app(store, lang="en")
    async with app.run_test(size=(100, 32)) as pilot:
        panel = await fail_first_item(pilot)
        code = panel.item.code
        await open_picker(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await shows(pilot, "去年的照片.jpg", "than 4 hours from this inspection")
        await pilot.press("escape")  # not this one
        await pilot.pause()
        assert app.screen is panel and store.inspection(panel.walk.inspection.id).results[code].photos == []
        assert store.pending().attachments == [], "a declined photo is never stored, so never sent"
        await open_picker(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # yes, it is
        await pilot.pause()
        result = store.inspection(panel.walk.inspection.id).results[code]
        assert len(result.photos) == 1
        assert store.attachment_path(result.photo_originals[result.photos[0]]).read_bytes() == old.read_bytes()
    store.close()


async def test_a_photo_already_evidence_of_another_item_needs_confirming(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    write_photo(folder, "楼道.jpg", jpeg_bytes(taken=NOW - timedelta(minutes=20)))
    photo_files.add_folder(data_dir, folder)
    store = open_demo_store(data_dir)
    app = make_app(store, lang="en")
    async with app.run_test(size=(100, 32)) as pilot:
        panel = await fail_first_item(pilot)
        first = panel.item.code
        await pilot.press("1")  # a quick-pick: the failure has its description
        await open_picker(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert app.screen is panel, "no warning the first time"
        await pilot.press("ctrl+s")
        await pilot.pause()
        walk_screen = app.screen
        assert isinstance(walk_screen, WalkScreen)
        walk_screen.walk.move_to(1)
        await pilot.press("2")
        await pilot.pause()
        second_panel = app.screen
        assert isinstance(second_panel, FailureScreen) and second_panel.item.code != first
        await open_picker(pilot)
        lines = screen_text(app).splitlines()
        assert any(" ✓ " in line and "楼道.jpg" in line for line in lines), "marked as attached in this walk"
        await pilot.press("1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await shows(pilot, "already evidence of another problem", first)
        await pilot.press("enter")
        await pilot.pause()
        results = store.inspection(second_panel.walk.inspection.id).results
        assert results[second_panel.item.code].photos == results[first].photos
    store.close()


async def test_a_broken_file_and_a_non_image_are_refused_by_name(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    whole = jpeg_bytes((400, 300))
    write_photo(folder, "cut.jpg", whole[:300], mtime=NOW - timedelta(minutes=1))
    write_photo(folder, "report.png", b"PK\x03\x04 a zip, not a photo", mtime=NOW - timedelta(minutes=2))
    photo_files.add_folder(data_dir, folder)
    store = open_demo_store(data_dir)
    app = make_app(store, lang="en")
    async with app.run_test(size=(120, 32)) as pilot:
        panel = await fail_first_item(pilot)
        await open_picker(pilot)
        await pilot.press("1", "2", "enter")
        await settle(pilot)
        assert app.screen is panel
        text = screen_text(app)
        assert "cut.jpg is damaged" in text and "report.png is not a photo" in text
        assert store.inspection(panel.walk.inspection.id).results[panel.item.code].photos == []
        assert store.pending().attachments == []
        # A typed path goes through the same checks.
        panel.query_one("#photo").focus()
        await pilot.press(*str(folder / "cut.jpg"), "enter")
        await settle(pilot)
        assert "cut.jpg is damaged" in screen_text(app)
    store.close()


async def test_a_folder_typed_in_the_picker_is_added_and_listed(data_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "WeChat Files"
    write_photo(folder, "微信图片.jpg", jpeg_bytes())
    store = open_demo_store(data_dir)
    app = make_app(store)
    async with app.run_test(size=(100, 32)) as pilot:
        await fail_first_item(pilot)
        picker = await open_picker(pilot)
        assert picker.photos == [] and "inbox" in screen_text(app)
        picker.query_one("#picker-path").focus()
        picker.listed = False
        await pilot.press(*str(folder), "enter")
        await until(pilot, lambda: picker.listed)
        assert [p.name for p in picker.photos] == ["微信图片.jpg"]
        assert photo_files.load_settings(data_dir).folders[0] == folder.resolve()
    store.close()


# --- the evidence rule ------------------------------------------------------------------------------------------


def _two_photo_checklist() -> Checklist:
    items = [
        Item(code="ZP-A-01", title="楼道堆物", text="楼道无堆物", evidence=EvidenceRule(min_photos=2)),
        Item(code="ZP-A-02", title="绿化", text="绿化无黄土裸露"),
    ]
    return Checklist(
        id="photo-rule", version="1", title="两张照片", site_type="测试点", sections=[Section(title="A", items=items)]
    )


async def test_an_item_asking_for_two_photos_cannot_be_submitted_with_one(data_dir: Path, tmp_path: Path) -> None:
    store = Store.open(data_dir)
    store.put_checklist(_two_photo_checklist())
    site = Site(id="zp-1", name="照片测试点", site_type="测试点")
    store.put_sites([site])
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    walk.set_verdict(Verdict.FAIL)
    walk.update_failure(note="3 号楼楼道堆放纸箱")
    walk.attach_photos("ZP-A-01", [store.add_photo(write_photo(tmp_path, "近景.jpg", jpeg_bytes()))])
    walk.move_to(1)
    walk.set_verdict(Verdict.PASS)
    assert not walk.can_submit()
    with pytest.raises(WalkError) as refused:
        walk.submit(site)
    assert "ZP-A-01" in refused.value.message("zh") and "至少 2 张照片" in refused.value.message("zh")
    assert "has 1" in refused.value.message("en")
    assert not store.inspection(walk.inspection.id).is_submitted

    app = make_app(store, lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"照片测试", "enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, WalkScreen)
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        text = screen_text(app)
        assert "ZP-A-01" in text and "1 more photo" in text, text  # the summary names the item and what it lacks
        await pilot.press("ctrl+s")  # not offered: nothing happens
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert not store.inspection(walk.inspection.id).is_submitted
    walk.attach_photos("ZP-A-01", [store.add_photo(write_photo(tmp_path, "远景.jpg", jpeg_bytes(color=(10, 200, 10))))])
    assert walk.can_submit()
    assert [p.item_code for p in walk.submit(site)] == ["ZP-A-01"]
    store.close()


def test_list_is_bounded_and_newest_files_win(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    for n in range(12):
        write_photo(folder, f"p{n:02d}.png", small_png(), mtime=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=n))
    listed = list_photos([folder], limit=5)
    assert [p.name for p in listed] == ["p11.png", "p10.png", "p09.png", "p08.png", "p07.png"]
    assert all(p.path.is_file() for p in listed)


# --- 复查: picked after-photos, before and after side by side ----------------------------------------------------


async def test_recheck_picks_the_after_photo_and_shows_it_beside_the_before(data_dir: Path, tmp_path: Path) -> None:
    from inspector.core.problems import ProblemStatus, fold
    from inspector.tui.screens.recheck import RecheckScreen

    store = open_demo_store(data_dir)
    site = store.site("demo-jincai")
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    for index, _ in enumerate(walk.items):
        walk.move_to(index)
        walk.set_verdict(Verdict.FAIL if index == 0 else Verdict.PASS)
    walk.move_to(0)
    walk.update_failure(note="楼道堆放纸箱")
    before = store.add_photo(write_photo(tmp_path / "then", "整改前.jpg", jpeg_bytes(color=(200, 40, 40))))
    walk.attach_photos(walk.items[0].code, [before])
    (problem,) = walk.submit(site)
    folder = tmp_path / "inbox"
    after_file = write_photo(folder, "整改后.jpg", jpeg_bytes(taken=NOW - timedelta(minutes=5), color=(40, 200, 40)))
    photo_files.add_folder(data_dir, folder)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"jcxq", "enter", "f6")
        await pilot.pause()
        recheck = app.screen
        assert isinstance(recheck, RecheckScreen)
        before_view = recheck.query_one("#photo-before", PhotoPreview)
        after_view = recheck.query_one("#photo-after", PhotoPreview)
        await until(pilot, lambda: before_view.shown is not None)
        assert before_view.shown == store.attachment_path(before.sha256) and after_view.shown is None
        await shows(pilot, "整改前.jpg")
        await open_picker(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert app.screen is recheck and len(recheck.photos) == 1
        await until(pilot, lambda: after_view.shown is not None)
        assert after_view.shown == store.attachment_path(recheck.photos[0])
        await shows(pilot, "整改后.jpg", "整改前.jpg")
        await pilot.press("1")  # 已整改
        await pilot.pause()
        closed = store.problem(problem.id)
        assert fold(closed).status is ProblemStatus.AWAITING_CLOSE  # 已整改: the office closes it
        fix = next(e for e in closed.events if e.photos)
        assert fix.photos == recheck_photos(closed)
        assert store.attachment_path(fix.photo_originals[fix.photos[0]]).read_bytes() == after_file.read_bytes()
    store.close()


async def test_the_ledgers_problem_detail_shows_before_and_after_side_by_side(data_dir: Path, tmp_path: Path) -> None:
    from inspector.core.problems import apply_event
    from inspector.core.records import EventKind, ProblemEvent
    from inspector.tui.screens.ledger import ProblemDetailScreen

    store = open_demo_store(data_dir)
    site = store.site("demo-jincai")
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    for index, _ in enumerate(walk.items):
        walk.move_to(index)
        walk.set_verdict(Verdict.FAIL if index == 0 else Verdict.PASS)
    walk.move_to(0)
    walk.update_failure(note="楼道堆放纸箱")
    before = store.add_photo(write_photo(tmp_path / "then", "整改前.jpg", jpeg_bytes(color=(200, 40, 40))))
    walk.attach_photos(walk.items[0].code, [before])
    (problem,) = walk.submit(site)
    after = store.add_photo(write_photo(tmp_path / "now", "整改后.jpg", jpeg_bytes(color=(40, 200, 40))))
    fixed = store.problem(problem.id)
    for kind, photos in ((EventKind.ASSIGN, []), (EventKind.SUBMIT_FIX, [after.sha256])):  # 待复查, still open
        event = ProblemEvent(problem_id=problem.id, kind=kind, actor="王督查", photos=photos, responsible_unit="居委会")
        fixed = apply_event(fixed, event)
    store.save_problem(fixed)
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, ProblemDetailScreen)
        before_view = detail.query_one("#photo-before", PhotoPreview)
        after_view = detail.query_one("#photo-after", PhotoPreview)
        await until(pilot, lambda: before_view.shown is not None and after_view.shown is not None)
        assert before_view.shown == store.attachment_path(before.sha256)
        assert after_view.shown == store.attachment_path(after.sha256)
        await shows(pilot, "整改前.jpg", "整改后.jpg")


def recheck_photos(problem) -> list[str]:  # type: ignore[no-untyped-def]
    from inspector.core.problems import fold

    return list(fold(problem).after_photos)


# --- the preview: half-blocks everywhere, the terminal's own images where it says it can ----------------------


def test_only_a_terminal_that_may_show_images_is_asked() -> None:
    from inspector.tui.widgets.photo_preview import may_show_images

    assert may_show_images({"TERM": "xterm-kitty"}) and may_show_images({"WT_SESSION": "1", "TERM": ""})
    assert may_show_images({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"})
    assert not may_show_images({"TERM": "xterm-256color"}), "nothing to ask: half-blocks, no 0.3 s of timeouts"
    assert not may_show_images({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}), "tmux keeps images"
    assert not may_show_images({"TERM": "xterm-kitty", "INSPECTOR_PREVIEW": "halfblock"})


async def test_the_preview_draws_half_blocks_sized_to_the_photo(data_dir: Path, tmp_path: Path) -> None:
    from inspector.tui.widgets.photo_preview import HalfBlocks

    portrait = write_photo(tmp_path / "inbox", "竖拍.jpg", jpeg_bytes((400, 300), orientation=6))
    photo_files.add_folder(data_dir, tmp_path / "inbox")
    store = open_demo_store(data_dir)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await fail_first_item(pilot)
        picker = await open_picker(pilot)
        preview = picker.query_one(PhotoPreview)
        await until(pilot, lambda: preview.shown == portrait)
        drawn = preview.query_one("#preview-image", Static).content
        assert isinstance(drawn, HalfBlocks)
        rows, cols = len(drawn.rows), len(drawn.rows[0])
        assert rows > cols / 2 and cols <= preview.size.width and rows < preview.size.height, "upright, in the panel"
        assert "▀" * cols in screen_text(app)
    store.close()


async def test_a_terminal_that_answered_gets_textual_image(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.tui.widgets import photo_preview

    # Output is no terminal here, so loading textual-image asks nothing: as if the launcher had asked.
    monkeypatch.setattr(photo_preview, "_graphics", True)
    photo = write_photo(tmp_path / "inbox", "IMG_1.jpg", jpeg_bytes((400, 300)))
    photo_files.add_folder(data_dir, tmp_path / "inbox")
    store = open_demo_store(data_dir)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await fail_first_item(pilot)
        picker = await open_picker(pilot)
        preview = picker.query_one(PhotoPreview)
        await until(pilot, lambda: preview.shown == photo)
        image = preview.query_one("#preview-image")
        assert type(image).__module__.startswith("textual_image")
        await pilot.pause()
        assert image.size.width > 0 and image.size.height > 0
    store.close()
