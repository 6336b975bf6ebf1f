"""The device's HQ credentials: `credentials.json` in the data dir, readable by its owner only.

The token is a password for this laptop at HQ: it is written atomically (temp file, fsync, rename) with mode 0600
where the platform has modes, never printed, and hidden from `repr`. Revoking it is done at HQ, not here."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checklists.i18n import Catalogue
from inspector.core.store.storage import fsync_dir, replace_with_retry

CREDENTIALS_FILE = "credentials.json"


class CredentialsError(Exception):
    """The credentials file exists but cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class Credentials:
    url: str  # HQ base URL, without a trailing slash
    device_id: str  # issued by HQ at enrollment
    token: str = field(repr=False)
    user: str = ""
    role: str = "inspector"
    enrolled_at: str = ""


def credentials_path(data_dir: Path) -> Path:
    return data_dir / CREDENTIALS_FILE


TEXT = Catalogue(
    "sync.credentials",
    {
        "damaged": (
            "本机的总部凭据文件 {path} 已损坏（{reason}）：请运行 inspector enroll URL CODE 重新绑定总部",
            "the HQ credentials file {path} is damaged ({reason}): enroll again with `inspector enroll URL CODE`",
        ),
        "not_object": ("不是 JSON 对象", "not a JSON object"),
        "missing": ("缺少 {field}", "missing {field}"),
    },
)


def _damaged(path: Path, reason: str, lang: str) -> CredentialsError:
    return CredentialsError(TEXT("damaged", lang, path=path, reason=reason))


def load_credentials(data_dir: Path, lang: str = "zh") -> Credentials | None:
    """The saved credentials, None when this device is not enrolled. Raises CredentialsError for a damaged file,
    worded for the user: which file, and that enrolling again replaces it."""
    path = credentials_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _damaged(path, str(exc), lang) from None
    if not isinstance(raw, dict):
        raise _damaged(path, TEXT("not_object", lang), lang)
    try:
        return Credentials(
            url=str(raw["url"]).rstrip("/"),
            device_id=str(raw["device_id"]),
            token=str(raw["token"]),
            user=str(raw.get("user", "")),
            role=str(raw.get("role", "inspector")),
            enrolled_at=str(raw.get("enrolled_at", "")),
        )
    except KeyError as exc:
        raise _damaged(path, TEXT("missing", lang, field=exc), lang) from None


def save_credentials(data_dir: Path, credentials: Credentials) -> Path:
    """Write atomically with owner-only permissions; a crash leaves the old file or the new one, never half."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = credentials_path(data_dir)
    text = json.dumps(asdict(credentials), ensure_ascii=False, indent=2) + "\n"
    fd, tmp_name = tempfile.mkstemp(dir=data_dir, prefix=".credentials-", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with contextlib.suppress(OSError):  # Windows has no POSIX modes; the profile folder is private there
            tmp.chmod(0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        replace_with_retry(tmp, path)
        with contextlib.suppress(OSError):
            path.chmod(0o600)
        fsync_dir(data_dir)
    finally:
        tmp.unlink(missing_ok=True)
    return path
