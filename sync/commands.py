"""Entry points for `inspector enroll | sync | hq ...` (inspector/cli.py dispatches here).

Each takes its output streams and returns the exit code; none lets a traceback reach the user. `sync` exits 0 when
the round finished, 2 when HQ could not be reached (nothing is lost: try again later), 1 for anything else."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path
from typing import TextIO

from inspector.core.ids import utcnow
from inspector.i18n import pick

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNREACHABLE = 2

_TEXT: dict[str, tuple[str, str]] = {
    "bad_url": (
        "总部地址应以 http:// 或 https:// 开头：{url}",
        "the HQ address must start with http:// or https://: {url}",
    ),
    "enrolled": (
        "已绑定总部 {url}：用户 {user}（{role}），设备编号 {device}。凭据保存在 {path}",
        "enrolled with HQ {url}: user {user} ({role}), device {device}. Credentials saved in {path}",
    ),
    "replaced": ("（替换了此前绑定的 {url}）", "(replacing the earlier enrollment with {url})"),
    "not_enrolled": (
        "本机尚未绑定总部：请先运行 inspector enroll URL CODE",
        "this device is not enrolled with HQ: run inspector enroll URL CODE first",
    ),
    "sync_ok": ("同步完成：{summary}", "sync done: {summary}"),
    "sync_failed": ("同步未完成：{error}", "sync did not finish: {error}"),
    "rejected": ("  被总部拒绝 {id}：{reason}", "  refused by HQ {id}: {reason}"),
    "conflict": ("  冲突（待审核）{id}：{reason}", "  conflict (for a reviewer) {id}: {reason}"),
    "store": ("无法打开数据目录：{error}", "cannot open the data dir: {error}"),
    "save_failed": ("无法保存凭据 {path}：{error}", "cannot save the credentials {path}: {error}"),
}


def _t(key: str, lang: str, **values: object) -> str:
    return pick(_TEXT[key], lang).format(**values)


def _line(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


# --- field side -------------------------------------------------------------------------------------------------


def enroll_main(data_dir: Path, url: str, code: str, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """Trade an enrollment code for this device's token and keep it in the data dir (owner-only)."""
    from sync.client import HQClient, SyncError
    from sync.credentials import Credentials, CredentialsError, credentials_path, load_credentials, save_credentials
    from sync.protocol import EnrollResponse

    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        _line(err, _t("bad_url", lang, url=url))
        return EXIT_ERROR

    async def run() -> EnrollResponse:
        hq = HQClient(url, lang=lang)
        try:
            return await hq.enroll(code, platform.node() or "laptop")
        finally:
            await hq.aclose()

    try:
        answer = asyncio.run(run())
    except SyncError as exc:
        _line(err, exc.message)
        return EXIT_UNREACHABLE if exc.unreachable else EXIT_ERROR
    try:
        previous = load_credentials(data_dir, lang)
    except CredentialsError:
        previous = None
    credentials = Credentials(
        url=url,
        device_id=answer.device_id,
        token=answer.token,
        user=answer.user,
        role=answer.role.value,
        enrolled_at=utcnow().isoformat(),
    )
    try:
        path = save_credentials(data_dir, credentials)
    except OSError as exc:
        _line(err, _t("save_failed", lang, path=credentials_path(data_dir), error=exc))
        return EXIT_ERROR
    message = _t(
        "enrolled", lang, url=url, user=answer.user, role=answer.role.value, device=answer.device_id, path=path
    )
    if previous is not None and previous.url != url:
        message += _t("replaced", lang, url=previous.url)
    _line(out, message)
    return EXIT_OK


def sync_main(data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """One push/pull round with a summary line; the exit code tells scripts whether to retry."""
    from inspector.core.store import Store, StoreError
    from sync.client import sync_once
    from sync.credentials import CredentialsError, load_credentials

    try:
        credentials = load_credentials(data_dir, lang)
    except CredentialsError as exc:
        _line(err, str(exc))
        return EXIT_ERROR
    if credentials is None:
        _line(err, _t("not_enrolled", lang))
        return EXIT_ERROR
    try:
        store = Store.open(data_dir, lang=lang)
    except StoreError as exc:
        _line(err, _t("store", lang, error=exc))
        return EXIT_ERROR
    for note in store.recovery_notes:  # damaged files moved aside at open: the user must hear of them
        _line(err, note)
    try:
        report = asyncio.run(sync_once(store, credentials, lang=lang))
    finally:
        store.close()
    warning = report.skew_text(lang)
    if warning:
        _line(err, warning)
    for record_id, reason in report.rejected.items():
        _line(err, _t("rejected", lang, id=record_id, reason=reason))
    for record_id, reason in report.conflict_messages.items():
        _line(out, _t("conflict", lang, id=record_id, reason=reason))
    if report.error is not None:
        _line(err, _t("sync_failed", lang, error=report.error))
        return EXIT_UNREACHABLE if report.unreachable else EXIT_ERROR
    _line(out, _t("sync_ok", lang, summary=report.summary(lang)))
    return EXIT_OK


# --- HQ side ----------------------------------------------------------------------------------------------------


def _db_url(db_url: str | None, data_dir: Path) -> str:
    from sync.hq.db import default_db_url

    return db_url or default_db_url(data_dir)


def _open_db(db_url: str | None, data_dir: Path, err: TextIO) -> object | None:
    """The migrated HQ database, or None after telling `err` why it cannot be opened."""
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from sync.hq.db import Database, safe_url

    url = db_url or str(data_dir)  # named in the message should the default URL itself fail (a file, not a folder)
    try:
        url = _db_url(db_url, data_dir)
        db = Database(url)
        db.migrate()
    except (SQLAlchemyError, ArgumentError, OSError, ValueError) as exc:
        _line(err, f"无法打开总部数据库 / cannot open the HQ database {safe_url(url)}: {type(exc).__name__}: {exc}")
        return None
    return db


def hq_serve_main(db_url: str | None, host: str, port: int, data_dir: Path, out: TextIO, err: TextIO) -> int:
    """Run the HQ server until Ctrl+C. Photos go to DATA_DIR/hq/attachments; the database defaults beside them."""
    from sync.hq.api.app import Settings, serve
    from sync.hq.db import Database, safe_url

    db = _open_db(db_url, data_dir, err)
    if db is None:
        return EXIT_ERROR
    assert isinstance(db, Database)
    files = data_dir / "hq" / "attachments"
    try:
        files.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _line(err, f"无法使用照片目录 / cannot use the photo folder {files}: {exc}")
        return EXIT_ERROR
    _line(out, f"Inspector HQ: http://{host}:{port}  (数据库 / database: {safe_url(db.url)}; 照片 / photos: {files})")
    try:
        serve(Settings(db_url=db.url, files_dir=files), host=host, port=port, db=db)
    except KeyboardInterrupt:
        return EXIT_OK
    except SystemExit:  # uvicorn exits this way when it cannot bind
        _line(err, f"无法在 {host}:{port} 上监听（端口被占用？）/ cannot listen on {host}:{port} (port in use?)")
        return EXIT_ERROR
    return EXIT_OK


def hq_user_add_main(db_url: str | None, data_dir: Path, name: str, role: str, out: TextIO, err: TextIO) -> int:
    """Create a user (or reuse one) and print a one-time enrollment code valid for 24 hours."""
    from sync.hq.db import Database
    from sync.hq.services.users import UserError, add_user
    from sync.protocol import Role

    try:
        wanted = Role(role)
    except ValueError:
        _line(err, f"角色应为 inspector、reviewer 或 admin / role must be inspector, reviewer or admin: {role}")
        return EXIT_ERROR
    db = _open_db(db_url, data_dir, err)
    if db is None:
        return EXIT_ERROR
    assert isinstance(db, Database)
    try:
        issued = add_user(db, name, wanted, now=utcnow())
    except UserError as exc:
        _line(err, str(exc))
        return EXIT_ERROR
    finally:
        db.dispose()
    local = issued.expires_at.astimezone()
    _line(
        out,
        f"用户 / user: {issued.user} ({issued.role.value})" + ("" if issued.created_user else "  [已存在 / existing]"),
    )
    _line(out, f"绑定码 / enrollment code: {issued.code}")
    _line(out, f"有效期至 / valid until: {local:%Y-%m-%d %H:%M %Z} (一次有效 / single use)")
    _line(out, f"在督查员电脑上运行 / on the laptop run: inspector enroll <HQ URL> {issued.code}")
    return EXIT_OK


def hq_user_revoke_main(db_url: str | None, data_dir: Path, name: str, out: TextIO, err: TextIO) -> int:
    """Revoke a user: every device it enrolled is refused from its next request on."""
    from sync.hq.db import Database
    from sync.hq.services.users import UserError, revoke_user

    db = _open_db(db_url, data_dir, err)
    if db is None:
        return EXIT_ERROR
    assert isinstance(db, Database)
    try:
        count = revoke_user(db, name, now=utcnow())
    except UserError as exc:
        _line(err, str(exc))
        return EXIT_ERROR
    finally:
        db.dispose()
    _line(out, f"已停用用户 {name.strip()}，{count} 台设备将被拒绝 / revoked {name.strip()}: {count} device(s) cut off")
    return EXIT_OK
