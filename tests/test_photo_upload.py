"""Small on the wire, whole at home: the upload copy, the store keeping both, HQ holding the copy, thumbnails.

HQ is the real server over loopback (SQLite), fed by a real device store through `sync_once`."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from inspector.core.records import Verdict
from inspector.core.store import Store
from inspector.core.upload_copy import LONG_SIDE, make_upload_copy
from inspector.core.walk import Walk, start_or_resume
from sync.client import sync_once
from sync.credentials import Credentials
from sync.hq.db import Database
from sync.hq.db.models import attachments, doc_revs, photo_refs
from sync.hq.services.attachments import AttachmentStore
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.thumbnails import THUMB_SIDE, Thumbnails
from sync.protocol import Role
from tests.photo_support import EXIF_IFD, GPS_IFD, ORIENTATION, jpeg_bytes, write_photo
from tests.sync_support import HQServer, admin, assign, enroll, headers, site, start_server

__all__ = ["admin", "site"]  # shared fixtures: pytest finds them among this module's names

TAKEN = datetime(2026, 12, 3, 9, 30)
BLUE = (40, 120, 200)


@pytest.fixture(scope="module")
def hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HQServer]:
    folder = tmp_path_factory.mktemp("hq")
    server = start_server(f"sqlite:///{(folder / 'hq.sqlite3').as_posix()}", folder / "files")
    yield server
    server.close()


@pytest.fixture
def device(hq: HQServer, admin: Credentials, site: str) -> Credentials:
    credentials = enroll(hq, Role.INSPECTOR)
    assign(hq, admin, credentials.user, site)
    return credentials


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "device")
    yield opened
    opened.close()


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _is_blue(pixel: tuple[int, ...]) -> bool:
    return pixel[2] > 150 and pixel[0] < 100


# --- the copy ---------------------------------------------------------------------------------------------------


def test_the_copy_is_upright_at_most_2048_px_jpeg_without_gps(tmp_path: Path) -> None:
    # A phone held upright writes landscape pixels and orientation 6 (turn 90° clockwise to view): the blue left
    # half of the stored pixels is the top of the photo as seen.
    photo = write_photo(tmp_path, "IMG_0001.jpg", jpeg_bytes((4000, 3000), taken=TAKEN, orientation=6, gps=True))
    copy = make_upload_copy(photo)
    image = _decoded(copy.data)
    assert image.format == "JPEG" and max(image.size) <= LONG_SIDE
    assert image.width < image.height, "portrait: the orientation is applied to the pixels"
    rgb = image.convert("RGB")
    assert _is_blue(rgb.getpixel((image.width // 2, 10))) and not _is_blue(
        rgb.getpixel((image.width // 2, image.height - 10))
    )
    exif = image.getexif()
    assert ORIENTATION not in exif, "the tag is dropped once applied (a viewer would turn it again)"
    assert exif.get_ifd(GPS_IFD) == {}
    assert exif.get_ifd(EXIF_IFD)[36867] == "2026:12:03 09:30:00", "the capture time stays for reviewers"
    kept = _decoded(make_upload_copy(photo, keep_gps=True).data).getexif().get_ifd(GPS_IFD)
    assert kept[1] == "N", "GPS stays when HQ asks for it"


def test_a_small_png_becomes_a_jpeg_of_the_same_size(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 200), (255, 0, 0, 0)).save(buffer, "PNG")
    photo = write_photo(tmp_path, "screenshot.png", buffer.getvalue())
    image = _decoded(make_upload_copy(photo).data)
    assert image.format == "JPEG" and image.size == (300, 200)
    assert image.convert("RGB").getpixel((5, 5)) == (255, 255, 255), "transparency is shown on white"


# --- the store keeps both ---------------------------------------------------------------------------------------


def test_the_store_keeps_the_original_and_offers_only_the_copy(store: Store, tmp_path: Path) -> None:
    data = jpeg_bytes((3000, 2250), taken=TAKEN, orientation=6, gps=True)
    photo = write_photo(tmp_path, "IMG_0002.jpg", data)
    copy = store.add_photo(photo)
    assert copy.original is not None and copy.mime == "image/jpeg" and copy.filename == "IMG_0002.jpg"
    original = store.attachment(copy.original)
    assert store.attachment_path(original.sha256).read_bytes() == data, "the laptop keeps the original whole"
    assert original.upload_copy == copy.sha256
    assert max(_decoded(store.attachment_path(copy.sha256).read_bytes()).size) <= LONG_SIDE
    assert [a.sha256 for a in store.pending().attachments] == [copy.sha256]
    again = store.add_photo(photo)
    assert again.sha256 == copy.sha256, "the same photo attached twice is one copy"
    assert [a.sha256 for a in store.pending().attachments] == [copy.sha256]


def test_a_reopened_store_still_knows_which_is_which(tmp_path: Path) -> None:
    photo = write_photo(tmp_path, "IMG_0003.jpg", jpeg_bytes((2400, 1800)))
    with Store.open(tmp_path / "data") as store:
        copy = store.add_photo(photo)
    with Store.open(tmp_path / "data") as store:
        assert store.attachment(copy.sha256).original == copy.original
        assert [a.sha256 for a in store.pending().attachments] == [copy.sha256]


# --- HQ holds the copy ------------------------------------------------------------------------------------------


async def test_hq_stores_and_serves_the_copy_and_the_record_names_the_original(
    hq: HQServer, device: Credentials, site: str, store: Store, tmp_path: Path
) -> None:
    data = jpeg_bytes((4000, 3000), taken=TAKEN, orientation=6, gps=True)
    photo = write_photo(tmp_path / "DCIM", "IMG_0100.jpg", data)
    from inspector.core.records import Site

    store.put_sites([Site(id=site, name="幸福里小区", site_type="楼院")])
    started = start_or_resume(store, store.site(site), inspector=device.user)
    assert started is not None
    walk = Walk(store, *started)
    for _ in walk.items:
        walk.set_verdict(Verdict.PASS)
    walk.move_to(0)
    walk.set_verdict(Verdict.FAIL)
    walk.update_failure(note="北侧楼道堆放纸箱")
    copy = store.add_photo(photo)
    assert copy.original is not None
    walk.attach_photos(walk.item.code, [copy])
    walk.submit(store.site(site), actor=device.user)

    report = await sync_once(store, device, lang="en")
    assert report.ok, report.error
    assert report.photos_uploaded == 1
    db = Database(hq.db_url)
    try:
        with db.read() as conn:
            held = {r.sha256: r.size for r in conn.execute(select(attachments.c.sha256, attachments.c.size))}
            refs = {r.sha256 for r in conn.execute(select(photo_refs.c.sha256))}
            bodies = [json.loads(r.data) for r in conn.execute(select(doc_revs.c.data))]
    finally:
        db.dispose()
    assert copy.sha256 in held and copy.original not in held, "HQ gets the copy, never the original"
    assert held[copy.sha256] == copy.size < len(data) * 0.5
    assert copy.sha256 in refs and copy.original not in refs
    inspection = next(b for b in bodies if "results" in b)
    result = inspection["results"][walk.items[0].code]
    assert result["photos"] == [copy.sha256]
    assert result["photo_originals"] == {copy.sha256: copy.original}, "HQ knows the original's hash"
    problem = next(b for b in bodies if b.get("item_code") == walk.items[0].code)
    assert problem["photos"] == [copy.sha256]
    async with httpx.AsyncClient() as client:
        got = await client.get(f"{hq.url}/v1/attachments/{copy.sha256}", headers=headers(device))
    assert got.status_code == 200 and got.content == store.attachment_path(copy.sha256).read_bytes()
    assert max(_decoded(got.content).size) <= LONG_SIDE


async def test_gps_is_kept_only_when_hq_asks_and_the_laptop_follows_at_its_next_sync(
    hq: HQServer, device: Credentials, store: Store, tmp_path: Path
) -> None:
    from inspector.core.ids import utcnow
    from inspector.core.photo_files import load_settings
    from sync.hq.services.settings import set_setting

    def hq_says(value: str) -> None:
        db = Database(hq.db_url)
        try:
            set_setting(db, "photos_keep_gps", value, actor="hq-admin", now=utcnow())
        finally:
            db.dispose()

    def gps_of_a_new_copy(name: str, width: int) -> dict[int, object]:
        """A new photo (its own bytes: a photo already held keeps the copy it has), copied as the picker does."""
        photo = write_photo(tmp_path / "DCIM", name, jpeg_bytes((width, 900), taken=TAKEN, gps=True))
        keep = load_settings(store.data_dir).keep_gps  # what the picker passes (photo_picker.py)
        copy = store.add_photo(photo, keep_gps=keep)
        return dict(_decoded(store.attachment_path(copy.sha256).read_bytes()).getexif().get_ifd(GPS_IFD))

    assert (await sync_once(store, device)).ok
    assert load_settings(store.data_dir).keep_gps is False and gps_of_a_new_copy("a.jpg", 1200) == {}
    hq_says("on")
    assert (await sync_once(store, device)).ok
    assert load_settings(store.data_dir).keep_gps is True
    assert gps_of_a_new_copy("b.jpg", 1210).get(1) == "N", "kept, as HQ asked"
    hq_says("off")
    assert (await sync_once(store, device)).ok
    assert load_settings(store.data_dir).keep_gps is False and gps_of_a_new_copy("c.jpg", 1220) == {}


# --- thumbnails -------------------------------------------------------------------------------------------------


def test_a_thumbnail_is_made_once_and_cached_beside_the_photos(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from inspector.core.ids import utcnow

    db = Database(f"sqlite:///{(tmp_path / 'hq.sqlite3').as_posix()}")
    db.migrate()
    try:
        files = AttachmentStore(db, tmp_path / "files")
        data = jpeg_bytes((2048, 1536), orientation=6)
        sha = hashlib.sha256(data).hexdigest()
        files.path(sha).parent.mkdir(parents=True)
        files.path(sha).write_bytes(data)  # as `receive` leaves a verified upload
        with db.small_write() as conn:
            conn.execute(
                insert(attachments).values(
                    sha256=sha, size=len(data), mime="image/jpeg", device_id="d", uploaded_at=utcnow()
                )
            )
        thumbs = Thumbnails(files)
        path = thumbs.thumbnail(sha)
        assert path.parent.parent == files.folder / "thumbs"
        image = _decoded(path.read_bytes())
        assert image.format == "JPEG" and max(image.size) == THUMB_SIDE and image.height > image.width
        made = path.stat().st_mtime_ns
        assert thumbs.thumbnail_bytes(sha) == path.read_bytes() and path.stat().st_mtime_ns == made, "made once"
        with pytest.raises(HqError) as missing:
            thumbs.thumbnail("b" * 64)
        assert missing.value.kind is Kind.NOT_FOUND
        with pytest.raises(HqError) as bad:
            thumbs.thumbnail("../etc/passwd")
        assert bad.value.kind is Kind.INVALID
        broken = b"\xff\xd8\xff\xe0" + b"\x00" * 100  # a JPEG's first bytes, then nothing decodable
        broken_sha = hashlib.sha256(broken).hexdigest()
        files.path(broken_sha).parent.mkdir(parents=True, exist_ok=True)
        files.path(broken_sha).write_bytes(broken)
        with db.small_write() as conn:
            conn.execute(
                insert(attachments).values(
                    sha256=broken_sha, size=len(broken), mime="image/jpeg", device_id="d", uploaded_at=utcnow()
                )
            )
        with pytest.raises(HqError) as undecodable:
            thumbs.thumbnail(broken_sha)
        assert undecodable.value.kind is Kind.UNSUPPORTED_TYPE and broken_sha in undecodable.value.text("en")
        assert not thumbs.path(broken_sha).exists()
    finally:
        db.dispose()


def test_the_walk_records_copies_and_their_originals(store: Store, tmp_path: Path) -> None:
    from inspector.core.demo import demo_sites

    store.put_sites(demo_sites())
    site = store.sites()[0]
    started = start_or_resume(store, site)
    assert started is not None
    walk = Walk(store, *started)
    walk.set_verdict(Verdict.FAIL)
    code = walk.item.code
    copies = [store.add_photo(write_photo(tmp_path, f"p{n}.jpg", jpeg_bytes(color=(n * 40, 90, 90)))) for n in (1, 2)]
    walk.attach_photos(code, copies)
    saved = store.inspection(walk.inspection.id).results[code]
    assert saved.photos == [c.sha256 for c in copies]
    assert saved.photo_originals == {c.sha256: c.original for c in copies}
    walk.update_failure(photos=[copies[1].sha256])  # one removed: its original goes with it
    assert store.inspection(walk.inspection.id).results[code].photo_originals == {copies[1].sha256: copies[1].original}


def test_the_photo_commands_set_the_folders_and_the_gps_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inspector.cli import main
    from inspector.core.photo_files import load_settings

    data = tmp_path / "data"
    dcim = tmp_path / "DCIM"
    dcim.mkdir()
    assert main(["--data-dir", str(data), "--lang", "en", "photos", "folder", "add", str(dcim)]) == 0
    assert main(["--data-dir", str(data), "--lang", "en", "photos", "folder", "add", str(tmp_path / "nope")]) == 1
    assert "not a folder" in capsys.readouterr().err
    assert main(["--data-dir", str(data), "--lang", "en", "photos", "folder", "list"]) == 0
    assert str(dcim.resolve()) in capsys.readouterr().out
    assert load_settings(data).folders[0] == dcim.resolve() and not load_settings(data).keep_gps
    assert main(["--data-dir", str(data), "photos", "gps", "keep"]) == 0
    assert load_settings(data).keep_gps
    photo = write_photo(dcim, "IMG_9.jpg", jpeg_bytes((3000, 2000), gps=True))
    with Store.open(data) as store:
        copy = store.add_photo(photo, keep_gps=load_settings(data).keep_gps)
        kept = _decoded(store.attachment_path(copy.sha256).read_bytes()).getexif().get_ifd(GPS_IFD)
    assert kept[1] == "N", "HQ asked for GPS: the copy keeps it"
    assert main(["--data-dir", str(data), "photos", "folder", "remove", str(dcim)]) == 0
    assert load_settings(data).folders == [data / "inbox"] and load_settings(data).keep_gps
