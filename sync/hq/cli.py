"""Every `inspector hq ...` command (inspector/cli.py parses the arguments and dispatches here).

Each takes its output streams and returns the exit code; none lets a traceback reach the user. They call the
services, never the device API. HQ's console is shared by people who read either language: unless a language was
chosen (`--lang` or INSPECTOR_LANG), each line is printed in Chinese and English, both from the catalogue below.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue, Plural
from inspector.core.ids import utcnow
from sync.hq.db import Database, default_db_url, safe_url
from sync.hq.services.errors import HqError
from sync.protocol import Role

EXIT_OK = 0
EXIT_ERROR = 1

TEXT = Catalogue(
    "hq.cli",
    {
        "db_failed": ("无法打开总部数据库 {url}：{error}", "cannot open the HQ database {url}: {error}"),
        "photos_failed": ("无法使用照片目录 {path}：{error}", "cannot use the photo folder {path}: {error}"),
        "serving": (
            "Inspector HQ：http://{host}:{port}（数据库：{db}；照片：{photos}）",
            "Inspector HQ: http://{host}:{port}  (database: {db}; photos: {photos})",
        ),
        "cannot_listen": (
            "无法在 {host}:{port} 上监听（端口被占用？）",
            "cannot listen on {host}:{port} (port in use?)",
        ),
        "bad_role": ("角色应为 {roles} 之一：{role}", "role must be one of {roles}: {role}"),
        "user": ("用户：{user}（{role}）", "user: {user} ({role})"),
        "user_existing": ("用户：{user}（{role}） [已存在]", "user: {user} ({role})  [existing]"),
        "code": ("绑定码：{code}", "enrollment code: {code}"),
        "valid_until": ("有效期至：{until}（一次有效）", "valid until: {until} (single use)"),
        "enroll_hint": (
            "在督查员电脑上运行：inspector enroll <总部地址> {code}",
            "on the laptop run: inspector enroll <HQ URL> {code}",
        ),
        "revoked": (
            "已停用用户 {name}，{n} 台设备将被拒绝",
            Plural("revoked {name}: {n} device cut off", "revoked {name}: {n} devices cut off"),
        ),
    },
)


def say(catalogue: Catalogue, key: str, lang: str | None, **values: object) -> str:
    """A line in `lang`, or, when no language was chosen, the Chinese and the English joined."""
    if lang is None:
        return f"{catalogue(key, 'zh', **values)} / {catalogue(key, 'en', **values)}"
    return catalogue(key, lang, **values)


def _error(exc: HqError, lang: str | None) -> str:
    return exc.text(lang) if lang is not None else f"{exc.text('zh')} / {exc.text('en')}"


def _line(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def _open_db(db_url: str | None, data_dir: Path, err: TextIO, lang: str | None) -> Database | None:
    """The migrated HQ database, or None after telling `err` why it cannot be opened."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    url = db_url or str(data_dir)  # named in the message should the default URL itself fail (a file, not a folder)
    try:
        url = db_url or default_db_url(data_dir)
        db = Database(url)
        db.migrate()
    except (SQLAlchemyError, ArgumentError, OSError, ValueError) as exc:
        _line(err, say(TEXT, "db_failed", lang, url=safe_url(url), error=f"{type(exc).__name__}: {exc}"))
        return None
    return db


def serve_main(
    db_url: str | None, host: str, port: int, data_dir: Path, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    """Run the HQ server until Ctrl+C. Photos go to DATA_DIR/hq/attachments; the database defaults beside them."""
    from sync.hq.server import Settings, serve

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    files = data_dir / "hq" / "attachments"
    try:
        files.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _line(err, say(TEXT, "photos_failed", lang, path=files, error=exc))
        return EXIT_ERROR
    _line(out, say(TEXT, "serving", lang, host=host, port=port, db=safe_url(db.url), photos=files))
    try:
        serve(Settings(db_url=db.url, files_dir=files), host=host, port=port, db=db)
    except KeyboardInterrupt:
        return EXIT_OK
    except SystemExit:  # uvicorn exits this way when it cannot bind
        _line(err, say(TEXT, "cannot_listen", lang, host=host, port=port))
        return EXIT_ERROR
    return EXIT_OK


def user_add_main(
    db_url: str | None, data_dir: Path, name: str, role: str, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    """Create a user (or reuse one) and print a one-time enrollment code valid for 24 hours."""
    from sync.hq.services.users import add_user

    try:
        wanted = Role(role)
    except ValueError:
        _line(err, say(TEXT, "bad_role", lang, roles=", ".join(r.value for r in Role), role=role))
        return EXIT_ERROR
    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        issued = add_user(db, name, wanted, now=utcnow())
    except HqError as exc:
        _line(err, _error(exc, lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    local = issued.expires_at.astimezone()
    _line(out, say(TEXT, "user" if issued.created_user else "user_existing", lang, user=issued.user, role=issued.role))
    _line(out, say(TEXT, "code", lang, code=issued.code))
    _line(out, say(TEXT, "valid_until", lang, until=f"{local:%Y-%m-%d %H:%M %Z}"))
    _line(out, say(TEXT, "enroll_hint", lang, code=issued.code))
    return EXIT_OK


def user_revoke_main(
    db_url: str | None, data_dir: Path, name: str, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    """Revoke a user: every device it enrolled is refused from its next request on."""
    from sync.hq.services.users import revoke_user

    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        count = revoke_user(db, name, now=utcnow())
    except HqError as exc:
        _line(err, _error(exc, lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    _line(out, say(TEXT, "revoked", lang, name=name.strip(), n=count))
    return EXIT_OK
