"""The field commands `inspector enroll` and `inspector sync` (inspector/cli.py dispatches here; `inspector hq ...`
is sync/hq/cli.py).

Each takes its output streams and returns the exit code; none lets a traceback reach the user. `sync` exits 0 when
the round finished, 2 when HQ could not be reached (nothing is lost: try again later), 1 for anything else."""

from __future__ import annotations

import asyncio
import platform
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue
from inspector.core.ids import utcnow

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNREACHABLE = 2

TEXT = Catalogue(
    "sync.commands",
    {
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
    },
)


def _line(stream: TextIO, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def enroll_main(data_dir: Path, url: str, code: str, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    """Trade an enrollment code for this device's token and keep it in the data dir (owner-only)."""
    from sync.client import HQClient, SyncError
    from sync.credentials import Credentials, CredentialsError, credentials_path, load_credentials, save_credentials
    from sync.protocol import EnrollResponse

    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        _line(err, TEXT("bad_url", lang, url=url))
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
        _line(err, TEXT("save_failed", lang, path=credentials_path(data_dir), error=exc))
        return EXIT_ERROR
    message = TEXT(
        "enrolled", lang, url=url, user=answer.user, role=answer.role.value, device=answer.device_id, path=path
    )
    if previous is not None and previous.url != url:
        message += TEXT("replaced", lang, url=previous.url)
    _line(out, message)
    return EXIT_OK


def sync_main(
    data_dir: Path,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    *,
    request_deadline_s: float | None = None,
    round_deadline_s: float | None = None,
) -> int:
    """One push/pull round with a summary line; the exit code tells scripts whether to retry. The deadlines default
    to the client's (sync/client/http.py)."""
    from inspector.core.store import Store, StoreError
    from sync.client import sync_once
    from sync.client.http import REQUEST_DEADLINE_S, ROUND_DEADLINE_S
    from sync.credentials import CredentialsError, load_credentials

    try:
        credentials = load_credentials(data_dir, lang)
    except CredentialsError as exc:
        _line(err, str(exc))
        return EXIT_ERROR
    if credentials is None:
        _line(err, TEXT("not_enrolled", lang))
        return EXIT_ERROR
    try:
        store = Store.open(data_dir, lang=lang)
    except StoreError as exc:
        _line(err, TEXT("store", lang, error=exc))
        return EXIT_ERROR
    for note in store.recovery_notes:  # damaged files moved aside at open: the user must hear of them
        _line(err, note)
    try:
        report = asyncio.run(
            sync_once(
                store,
                credentials,
                lang=lang,
                request_deadline_s=request_deadline_s or REQUEST_DEADLINE_S,
                round_deadline_s=round_deadline_s or ROUND_DEADLINE_S,
            )
        )
    finally:
        store.close()
    warning = report.skew_text(lang)
    if warning:
        _line(err, warning)
    for record_id, reason in report.rejected.items():
        _line(err, TEXT("rejected", lang, id=record_id, reason=reason))
    for record_id, reason in report.conflict_messages.items():
        _line(out, TEXT("conflict", lang, id=record_id, reason=reason))
    if report.error is not None:
        _line(err, TEXT("sync_failed", lang, error=report.error))
        return EXIT_UNREACHABLE if report.unreachable else EXIT_ERROR
    _line(out, TEXT("sync_ok", lang, summary=report.summary(lang)))
    return EXIT_OK
