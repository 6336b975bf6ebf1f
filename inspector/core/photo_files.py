"""The inspector's photo folders: which they are, what images they hold, and whether a file is a usable photo.

Photos reach a laptop as files in a folder (a phone's DCIM copy, a WeChat transfer folder, `Pictures`); the
picker lists them newest first by when they were *taken* (EXIF `DateTimeOriginal`, else the file's time), since
a copy's file time is the time of the copy. Before a file is attached it is checked by its bytes (`images.sniff`)
and by decoding it (Pillow), so a truncated transfer or a renamed PDF is refused by name and reason, not stored
as evidence. The warnings (taken far from the walk's time, already evidence of another problem) are the
inspector's to confirm: they are judgements, not errors.

The folders are a setting of the laptop kept in the data dir (`photos.json`); the data dir's `inbox/` is the
default, made on first use. No Textual here: the picker screen is a view over these functions.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from checklists.i18n import Catalogue
from inspector.core.images import SNIFF_BYTES, sniff
from inspector.core.store.storage import atomic_write_bytes

SETTINGS_FILE = "photos.json"
INBOX = "inbox"
# Listed by suffix (cheap); what a file really is is told by its bytes when it is picked.
LISTED_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".gif"})
MAX_LISTED = 500  # newest first: a Pictures folder of years is not read whole for a pick
WALK_SLACK = timedelta(hours=4)  # "taken more than a few hours away from the walk"

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_OFFSET_TIME_ORIGINAL = 36881
_DATETIME = 306  # IFD0 DateTime: a camera that writes no DateTimeOriginal still dates the file here

MESSAGES = Catalogue(
    "photo_files",
    {
        "photo_files.missing": ("找不到照片文件：{name}", "Photo file not found: {name}"),
        "photo_files.unreadable": ("照片 {name} 无法读取：{reason}", "Photo {name} cannot be read: {reason}"),
        "photo_files.not_image": (
            "{name} 不是照片（JPEG、PNG、WebP、HEIC 或 GIF），未添加",
            "{name} is not a photo (JPEG, PNG, WebP, HEIC or GIF): not attached",
        ),
        "photo_files.broken": (
            "照片 {name} 已损坏，无法解码：{reason}",
            "Photo {name} is damaged and cannot be decoded: {reason}",
        ),
        "photo_files.far_in_time": (
            "照片 {name} 拍摄于 {taken}，与本次检查相差 {hours} 小时以上，是这次拍的吗？",
            "Photo {name} was taken {taken}, more than {hours} hours from this inspection: is it this one's?",
        ),
        "photo_files.used_elsewhere": (
            "照片 {name} 已是另一问题的证据：{where}",
            "Photo {name} is already evidence of another problem: {where}",
        ),
        "photo_files.bad_settings": (
            "照片文件夹设置 {path} 无法读取（{reason}），已使用默认文件夹",
            "The photo folder setting {path} cannot be read ({reason}); the default folder is used",
        ),
    },
)


class PhotoFileError(Exception):
    """A file that cannot be attached, worded for the inspector (its name and why)."""

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.message("zh"))

    def message(self, lang: str = "zh") -> str:
        return MESSAGES(self.key, lang, **self.values)


# --- settings ---------------------------------------------------------------------------------------------------


@dataclass
class PhotoSettings:
    """Where this laptop's photos arrive, and whether the upload copy keeps GPS (only when HQ asks for it)."""

    folders: list[Path] = field(default_factory=list)
    keep_gps: bool = False
    problem: str | None = None  # why the file could not be read, when it could not (defaults are used then)


def inbox(data_dir: Path) -> Path:
    return data_dir / INBOX


def load_settings(data_dir: Path, lang: str = "zh") -> PhotoSettings:
    """The folders and the GPS flag; a missing file means the defaults, an unreadable one too, with a message."""
    path = data_dir / SETTINGS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return PhotoSettings(folders=[inbox(data_dir)])
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        problem = MESSAGES("photo_files.bad_settings", lang, path=path, reason=reason)
        return PhotoSettings(folders=[inbox(data_dir)], problem=problem)
    folders = raw.get("folders") if isinstance(raw, dict) else None
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        problem = MESSAGES("photo_files.bad_settings", lang, path=path, reason='"folders": [...]')
        return PhotoSettings(folders=[inbox(data_dir)], problem=problem)
    keep_gps = raw.get("keep_gps") is True
    return PhotoSettings(folders=[Path(f) for f in folders] or [inbox(data_dir)], keep_gps=keep_gps)


def save_settings(data_dir: Path, settings: PhotoSettings) -> None:
    payload = {"folders": [str(f) for f in settings.folders], "keep_gps": settings.keep_gps}
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    data_dir.mkdir(parents=True, exist_ok=True)  # set before the app first ran: the data dir may not be there yet
    atomic_write_bytes(data_dir / SETTINGS_FILE, text.encode("utf-8"))


def add_folder(data_dir: Path, folder: Path) -> PhotoSettings:
    """Add a folder to the list (first, as the newest place photos arrive); a folder already there moves up."""
    settings = load_settings(data_dir)
    resolved = folder.expanduser().resolve()
    kept = [f for f in settings.folders if f.expanduser().resolve() != resolved]
    settings = PhotoSettings(folders=[resolved, *kept], keep_gps=settings.keep_gps)
    save_settings(data_dir, settings)
    return settings


def set_keep_gps(data_dir: Path, keep: bool) -> PhotoSettings:
    """Whether upload copies keep the photo's GPS: off unless HQ asks for it (its admins say so)."""
    settings = load_settings(data_dir)
    settings = PhotoSettings(folders=settings.folders, keep_gps=keep)
    save_settings(data_dir, settings)
    return settings


def remove_folder(data_dir: Path, folder: Path) -> PhotoSettings:
    settings = load_settings(data_dir)
    resolved = folder.expanduser().resolve()
    kept = [f for f in settings.folders if f.expanduser().resolve() != resolved]
    settings = PhotoSettings(folders=kept or [inbox(data_dir)], keep_gps=settings.keep_gps)
    save_settings(data_dir, settings)
    return settings


# --- listing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoFile:
    """One image in a photo folder, as the picker lists it."""

    path: Path
    taken_at: datetime  # aware; EXIF DateTimeOriginal when the photo has one, else the file's modification time
    from_exif: bool
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def exif_taken_at(path: Path) -> datetime | None:
    """When the photo was taken by its EXIF (`DateTimeOriginal`, else `DateTime`), as an aware time; None when it
    has none or cannot be read. A time without an offset is the camera's local time, taken as this laptop's."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            exif = image.getexif()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None
    sub = exif.get_ifd(_EXIF_IFD)
    stamp = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(stamp, str):
        return None
    try:
        naive = datetime.strptime(stamp.strip().rstrip("\x00"), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return datetime.strptime(stamp.strip() + offset.strip(), "%Y:%m:%d %H:%M:%S%z")
        except ValueError:
            pass
    return naive.astimezone()  # naive → the laptop's local zone


def _candidates(folders: Iterable[Path]) -> list[tuple[Path, os.stat_result]]:
    """Image files directly in each folder and one level below (a DCIM copy has 100APPLE/ ...), newest file
    first; unreadable folders are skipped, as the picker lists what it can."""
    found: dict[Path, os.stat_result] = {}
    for folder in folders:
        for directory in _with_children(folder.expanduser()):
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in LISTED_SUFFIXES:
                    continue
                try:
                    if entry.is_file():
                        found[Path(entry.path)] = entry.stat()
                except OSError:
                    continue
    return sorted(found.items(), key=lambda pair: pair[1].st_mtime, reverse=True)


def _with_children(folder: Path) -> list[Path]:
    try:
        children = [Path(e.path) for e in os.scandir(folder) if e.is_dir() and not e.name.startswith(".")]
    except OSError:
        return [folder]
    return [folder, *sorted(children)]


def list_photos(folders: Sequence[Path], *, limit: int = MAX_LISTED) -> list[PhotoFile]:
    """The images of `folders`, newest taken first (EXIF time, else file time; then by name). Reads each file's
    header for its EXIF: call it off the UI thread."""
    photos: list[PhotoFile] = []
    for path, stat in _candidates(folders)[:limit]:
        taken = exif_taken_at(path)
        mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
        photos.append(PhotoFile(path, taken or mtime, taken is not None, stat.st_size))
    return sorted(photos, key=lambda p: (p.taken_at, p.name), reverse=True)


def ensure_inbox(data_dir: Path) -> None:
    """The default folder exists, so the inspector can be told where to drop photos."""
    with contextlib.suppress(OSError):  # a read-only data dir: the picker says the folder is empty
        inbox(data_dir).mkdir(parents=True, exist_ok=True)


# --- checks -----------------------------------------------------------------------------------------------------


def check_photo(path: Path) -> PhotoFile:
    """A file the inspector picked, checked before it is attached: it exists, its bytes are a photo type we take,
    and it decodes whole (a truncated copy does not). Raises PhotoFileError naming the file and the reason."""
    from PIL import Image, UnidentifiedImageError

    name = path.name
    try:
        stat = path.stat()
        with path.open("rb") as reader:
            head = reader.read(SNIFF_BYTES)
    except FileNotFoundError as error:
        raise PhotoFileError("photo_files.missing", name=str(path)) from error
    except OSError as error:
        raise PhotoFileError("photo_files.unreadable", name=name, reason=error.strerror or str(error)) from error
    mime = sniff(head)
    if mime is None:
        raise PhotoFileError("photo_files.not_image", name=name)
    if mime not in ("image/heic", "image/heif"):  # Pillow reads no HEIC: HQ checks those by their bytes alone
        try:
            with Image.open(path) as image:
                image.load()  # decodes every byte: a cut-off file raises here, where verify() may not
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise PhotoFileError("photo_files.broken", name=name, reason=str(error) or type(error).__name__) from error
    taken = exif_taken_at(path)
    mtime = datetime.fromtimestamp(stat.st_mtime, UTC)
    return PhotoFile(path, taken or mtime, taken is not None, stat.st_size)


def file_sha256(path: Path) -> str:
    """The photo file's sha256 (what the store names its original by), to match it with photos already in use
    before it is stored. Raises PhotoFileError naming the file when it cannot be read."""
    import hashlib

    digest = hashlib.sha256()
    try:
        with path.open("rb") as reader:
            while chunk := reader.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise PhotoFileError("photo_files.unreadable", name=path.name, reason=error.strerror or str(error)) from error
    return digest.hexdigest()


def time_warning(photo: PhotoFile, start: datetime, end: datetime, lang: str = "zh") -> str | None:
    """A warning when the photo was taken more than `WALK_SLACK` before the walk began or after it ended."""
    if start - WALK_SLACK <= photo.taken_at <= end + WALK_SLACK:
        return None
    taken = photo.taken_at.astimezone().strftime("%Y-%m-%d %H:%M")
    hours = int(WALK_SLACK.total_seconds() // 3600)
    return MESSAGES("photo_files.far_in_time", lang, name=photo.name, taken=taken, hours=hours)


def duplicate_warning(name: str, where: str | None, lang: str = "zh") -> str | None:
    """A warning when the photo is already the evidence of another problem (`where` names it)."""
    if where is None:
        return None
    return MESSAGES("photo_files.used_elsewhere", lang, name=name, where=where)
