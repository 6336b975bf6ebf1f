"""Every `inspector hq ...` command (inspector/cli.py parses the arguments and dispatches here).

Each takes its output streams and returns the exit code; none lets a traceback reach the user. They call the
services, never the device API. HQ's console is shared by people who read either language: unless a language was
chosen (`--lang` or INSPECTOR_LANG), each line is printed in Chinese and English, both from the catalogue below.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from checklists.i18n import Catalogue, Plural
from inspector.core.ids import utcnow
from sync.hq.db import Database, default_db_url, safe_url
from sync.hq.services.errors import HqError
from sync.protocol import Role

if TYPE_CHECKING:
    from sync.hq.services.assign_import import Planned
    from sync.hq.services.sheets import Issue

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
        "password_prompt": ("{user} 的控制台密码：", "console password for {user}: "),
        "password_again": ("再输入一次：", "again: "),
        "password_missing": (
            "没有读到密码：请在终端中运行，或在标准输入中给出两行相同的密码",
            "no password read: run it in a terminal, or give the same password on two lines of standard input",
        ),
        "password_mismatch": ("两次输入的密码不一致；未作任何更改", "the two passwords differ; nothing was changed"),
        "password_none": (
            "没有从标准输入读到密码：未设置控制台密码，可稍后用 inspector hq user password {user} 设置",
            "no password on standard input: no console password set; set one later with "
            "inspector hq user password {user}",
        ),
        "password_set": (
            "已设置 {user} 的控制台密码（其已登录的会话已结束）",
            "console password set for {user} (its open sessions ended)",
        ),
        "console_hint": (
            "总部控制台：在浏览器中打开 inspector hq serve 显示的地址，用 {user} 登录",
            "HQ console: open the address inspector hq serve prints and sign in as {user}",
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


class PasswordMismatch(Exception):
    """The two lines typed (or piped) differ."""


def read_new_password(name: str, stdin: TextIO, err: TextIO, lang: str | None) -> str | None:
    """A new password, asked twice: without echo at a terminal, else the first two lines of standard input (for
    scripts). None when standard input holds nothing or cannot be read."""
    try:
        if stdin.isatty():
            import getpass

            first = getpass.getpass(say(TEXT, "password_prompt", lang, user=name), stream=err)
            second = getpass.getpass(say(TEXT, "password_again", lang), stream=err)
        else:
            first = stdin.readline()
            if not first:
                return None
            second = stdin.readline()
            first, second = first.rstrip("\r\n"), second.rstrip("\r\n")
    except (OSError, EOFError):  # no standard input at all (closed, or a service manager's): no password now
        return None
    if first != second:
        raise PasswordMismatch
    return first


def _new_password(name: str, stdin: TextIO, err: TextIO, lang: str | None) -> tuple[bool, str | None]:
    """(ok, password): not ok after telling `err` why (the two differ, or the password breaks a rule)."""
    from sync.hq.services.console_auth import check_password

    try:
        password = read_new_password(name, stdin, err, lang)
        if password is not None:
            check_password(password)
    except PasswordMismatch:
        _line(err, say(TEXT, "password_mismatch", lang))
        return False, None
    except HqError as exc:
        _line(err, _error(exc, lang))
        return False, None
    return True, password


def user_add_main(
    db_url: str | None,
    data_dir: Path,
    name: str,
    role: str,
    out: TextIO,
    err: TextIO,
    lang: str | None = None,
    stdin: TextIO | None = None,
) -> int:
    """Create a user (or reuse one) and print a one-time enrollment code valid for 24 hours. A reviewer or an admin
    also gets a console password, asked for twice before anything is created."""
    from sync.hq.services.console_auth import CONSOLE_ROLES, set_password
    from sync.hq.services.users import add_user

    try:
        wanted = Role(role)
    except ValueError:
        _line(err, say(TEXT, "bad_role", lang, roles=", ".join(r.value for r in Role), role=role))
        return EXIT_ERROR
    password: str | None = None
    if wanted in CONSOLE_ROLES and stdin is not None:
        ok, password = _new_password(name.strip(), stdin, err, lang)
        if not ok:
            return EXIT_ERROR
    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        issued = add_user(db, name, wanted, now=utcnow())
        if password is not None:
            set_password(db, issued.user, password, now=utcnow())
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
    if password is not None:
        _line(out, say(TEXT, "console_hint", lang, user=issued.user))
    elif wanted in CONSOLE_ROLES and stdin is not None:
        _line(out, say(TEXT, "password_none", lang, user=issued.user))
    return EXIT_OK


def user_password_main(
    db_url: str | None, data_dir: Path, name: str, stdin: TextIO, out: TextIO, err: TextIO, lang: str | None = None
) -> int:
    """Set or change a reviewer's or an admin's console password (asked twice); their open sessions end."""
    from sync.hq.services.console_auth import set_password

    ok, password = _new_password(name.strip(), stdin, err, lang)
    if not ok:
        return EXIT_ERROR
    if password is None:
        _line(err, say(TEXT, "password_missing", lang))
        return EXIT_ERROR
    db = _open_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        set_password(db, name, password, now=utcnow())
    except HqError as exc:
        _line(err, _error(exc, lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    _line(out, say(TEXT, "password_set", lang, user=name.strip()))
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


# --- HQ admin: sites, assignments, checklists, users, devices, audit --------------------------------------------
#
# These print in one language (Chinese unless --lang en): their output is tables and lists, which two languages
# on one line would make unreadable.

ADMIN = Catalogue(
    "hq.admin",
    {
        "rows": ("{file}：{n} 行", Plural("{file}: {n} row", "{file}: {n} rows")),
        "added": ("新增 {n}：{names}", "added {n}: {names}"),
        "changed": ("修改 {n}：{names}", "changed {n}: {names}"),
        "unchanged": ("未变 {n}：{names}", "unchanged {n}: {names}"),
        "missing": (
            "不在文件中 {n}（保留在总部，点位暂不能撤下）：{names}",
            "not in the file {n} (kept at HQ: a site cannot be withdrawn yet): {names}",
        ),
        "withdrawn": (
            "撤销 {n}（同批次中文件未列出）：{names}",
            "withdrawn {n} (in these batches, not in the file): {names}",
        ),
        "preview": (
            "以上为预览，未做任何更改；加 --apply 写入总部",
            "this is a preview, nothing was changed; add --apply to apply",
        ),
        "applied": (
            "已写入总部：{changed} 项更改，{unchanged} 项未变",
            "applied at HQ: {changed} changed, {unchanged} unchanged",
        ),
        "issues": (
            "共 {n} 处错误，未做任何更改",
            Plural("{n} problem found; nothing was changed", "{n} problems found; nothing was changed"),
        ),
        "no_sites": ("总部还没有点位", "HQ has no sites yet"),
        "no_assignments": ("没有分配", "no assignments"),
        "no_checklists": ("总部还没有发布检查表", "HQ has published no checklist yet"),
        "no_users": ("总部还没有用户", "HQ has no users yet"),
        "no_devices": ("还没有绑定的设备", "no device is enrolled yet"),
        "no_audit": ("没有符合条件的审计记录", "no audit entries match"),
        "published": (
            "已发布检查表 {key}（{title}，{items} 项）",
            "published checklist {key} ({title}, {items} items)",
        ),
        "published_same": (
            "检查表 {key} 已以相同内容发布，未做更改",
            "checklist {key} is already published with this content: unchanged",
        ),
        "device_revoked": ("已停用设备 {id}（{user}，{name}）", "revoked device {id} ({user}, {name})"),
        "device_was_revoked": (
            "设备 {id}（{user}）已于 {at} 停用，未做更改",
            "device {id} ({user}) was already revoked at {at}: unchanged",
        ),
        "total": ("共 {n} 条", Plural("{n} in all", "{n} in all")),
        "default_type": ("（按类型）", "(by type)"),
        "col.id": ("编号", "id"),
        "col.name": ("名称", "name"),
        "col.type": ("类型", "type"),
        "col.place": ("街道/社区/网格", "street/community/grid"),
        "col.unit": ("责任单位", "unit"),
        "col.checklist": ("检查表", "checklist"),
        "col.version": ("版本", "version"),
        "col.items": ("条目", "items"),
        "col.published": ("发布时间", "published"),
        "col.user": ("用户", "user"),
        "col.role": ("角色", "role"),
        "col.created": ("创建时间", "created"),
        "col.revoked": ("停用", "revoked"),
        "col.devices": ("设备数", "devices"),
        "col.device": ("设备名", "device"),
        "col.app": ("版本", "app version"),
        "col.last_seen": ("最近联系", "last seen"),
        "col.inspector": ("检查员", "inspector"),
        "col.assigned": ("分配", "assigned"),
        "col.done": ("已检查", "done"),
        "col.due": ("待检查", "due"),
        "col.due_sites": ("待检查点位", "sites due"),
        "col.missed": ("漏检", "missed"),
        "col.missed_sites": ("漏检点位（批次已结束）", "sites missed (round over)"),
        "col.round": ("批次", "round"),
        "col.from": ("开始", "from"),
        "col.to": ("结束", "to"),
        "col.state": ("状态", "state"),
        "round.upcoming": ("未开始", "upcoming"),
        "round.open": ("进行中", "open"),
        "round.closed": ("已结束", "closed"),
        "round_added": ("已建立批次 {name}：{start} 至 {end}", "round {name} added: {start} to {end}"),
        "round_same": ("批次 {name} 已存在，日期相同，未改动", "round {name} exists with these dates: nothing changed"),
        "no_rounds": (
            "尚未建立批次：inspector hq round add 名称 --from 日期 --to 日期",
            "no rounds yet: inspector hq round add NAME --from DATE --to DATE",
        ),
        "col.time": ("时间", "time"),
        "col.actor": ("操作人", "actor"),
        "col.action": ("操作", "action"),
        "col.detail": ("详情", "detail"),
    },
    prefixes=("round.",),  # a round's state, looked up by its value
)

NAMES_SHOWN = 20  # names listed per line of a plan before "…"


def _names(names: list[str], lang: str) -> str:
    sep = ", " if lang == "en" else "、"
    if not names:
        return "-"
    shown = sep.join(names[:NAMES_SHOWN])
    return shown + (f"{sep}… (+{len(names) - NAMES_SHOWN})" if len(names) > NAMES_SHOWN else "")


def _fields(fields: list[str], lang: str) -> str:
    """A site's changed fields by the headings of the registry's columns."""
    from sync.hq.services.site_import import HEADINGS

    return ("、" if lang == "zh" else ", ").join(HEADINGS.get(f, (f, f))[1 if lang == "en" else 0] for f in fields)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _table(out: TextIO, headers: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, counting a Chinese character as two."""
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    for cells in [headers, *rows]:
        padded = [cell + " " * (w - _width(cell)) for cell, w in zip(cells, widths, strict=True)]
        _line(out, "  ".join(padded).rstrip())


def _when(at: object) -> str:
    from datetime import datetime

    return f"{at.astimezone():%Y-%m-%d %H:%M}" if isinstance(at, datetime) else "-"


def _admin_db(db_url: str | None, data_dir: Path, err: TextIO, lang: str) -> Database | None:
    return _open_db(db_url, data_dir, err, lang)


def _report_issues(issues: Sequence[Issue], err: TextIO, lang: str) -> int:
    for issue in issues:
        _line(err, issue.text(lang))
    _line(err, ADMIN("issues", lang, n=len(issues)))
    return EXIT_ERROR


def site_import_main(
    db_url: str | None, data_dir: Path, file: Path, apply: bool, out: TextIO, err: TextIO, lang: str = "zh"
) -> int:
    """Check a 点位 registry (.xlsx/.csv), show what would change, and with --apply store it when nothing is bad."""
    from sync.hq.services.site_import import apply_site_plan, plan_site_import

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        plan = plan_site_import(db, file, shown=str(file))
        if not plan.ok:
            return _report_issues(plan.issues, err, lang)
        _line(out, ADMIN("rows", lang, file=file, n=len(plan.sites)))
        if plan.added:
            _line(out, ADMIN("added", lang, n=len(plan.added), names=_names([s.name for s in plan.added], lang)))
        if plan.changed:
            changed = [f"{s.name} ({_fields(fields, lang)})" for s, fields in plan.changed]
            _line(out, ADMIN("changed", lang, n=len(plan.changed), names=_names(changed, lang)))
        _line(
            out, ADMIN("unchanged", lang, n=len(plan.unchanged), names=_names([s.name for s in plan.unchanged], lang))
        )
        if plan.missing:
            names = _names([s.name for s in plan.missing], lang)
            _line(out, ADMIN("missing", lang, n=len(plan.missing), names=names))
        if not apply:
            _line(out, ADMIN("preview", lang))
            return EXIT_OK
        changed_n, unchanged_n = apply_site_plan(db, plan, file=str(file), now=utcnow())
        _line(out, ADMIN("applied", lang, changed=changed_n, unchanged=unchanged_n))
        return EXIT_OK
    except HqError as exc:
        _line(err, exc.text(lang))
        return EXIT_ERROR
    finally:
        db.dispose()


def site_list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from sync.hq.services.site_import import hq_sites

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = hq_sites(db)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_sites", lang))
        return EXIT_OK
    headers = [ADMIN(k, lang) for k in ("col.id", "col.name", "col.type", "col.place", "col.unit", "col.checklist")]
    rows = [
        [
            s.id,
            s.name,
            s.site_type,
            "/".join(p for p in (s.street, s.community, s.grid) if p) or "-",
            s.responsible_unit or "-",
            s.checklist_id or ADMIN("default_type", lang),
        ]
        for s in found
    ]
    _table(out, headers, rows)
    _line(out, ADMIN("total", lang, n=len(found)))
    return EXIT_OK


def assign_import_main(
    db_url: str | None, data_dir: Path, file: Path, apply: bool, out: TextIO, err: TextIO, lang: str = "zh"
) -> int:
    """Check an assignment list (检查员, 点位, 批次), show what would change, and with --apply store it."""
    from sync.hq.services.assign_import import apply_assign_plan, plan_assign_import

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        plan = plan_assign_import(db, file, shown=str(file))
        if not plan.ok:
            return _report_issues(plan.issues, err, lang)

        def shown(items: Sequence[Planned]) -> str:
            return _names([f"{p.user}→{p.site_name} [{p.batch}]" for p in items], lang)

        _line(out, ADMIN("rows", lang, file=file, n=len(plan.rows)))
        if plan.added:
            _line(out, ADMIN("added", lang, n=len(plan.added), names=shown(plan.added)))
        _line(out, ADMIN("unchanged", lang, n=len(plan.unchanged), names=shown(plan.unchanged)))
        if plan.withdrawn:
            _line(out, ADMIN("withdrawn", lang, n=len(plan.withdrawn), names=shown(plan.withdrawn)))
        if not apply:
            _line(out, ADMIN("preview", lang))
            return EXIT_OK
        changed_n, unchanged_n = apply_assign_plan(db, plan, file=str(file), now=utcnow())
        _line(out, ADMIN("applied", lang, changed=changed_n, unchanged=unchanged_n))
        return EXIT_OK
    except HqError as exc:
        _line(err, exc.text(lang))
        return EXIT_ERROR
    finally:
        db.dispose()


def assign_list_main(
    db_url: str | None, data_dir: Path, batch: str | None, out: TextIO, err: TextIO, lang: str = "zh"
) -> int:
    from sync.hq.services.assign_import import progress

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = progress(db, batch)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_assignments", lang))
        return EXIT_OK
    keys = ("col.inspector", "col.assigned", "col.done", "col.due", "col.missed", "col.due_sites", "col.missed_sites")
    rows = [
        [
            p.user,
            str(p.assigned),
            str(p.done),
            str(p.due),
            str(p.missed),
            _names(p.due_sites, lang),
            _names(p.missed_sites, lang),
        ]
        for p in found
    ]
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK


def checklist_publish_main(
    db_url: str | None, data_dir: Path, file: Path, out: TextIO, err: TextIO, lang: str = "zh"
) -> int:
    """Validate a checklist file (FILE:LINE: errors, as `inspector checklist validate`) and publish it."""
    from checklists.i18n import pick
    from sync.hq.services.checklist_publish import publish_file

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        result = publish_file(db, file, now=utcnow(), lang=lang)
    except HqError as exc:
        _line(err, exc.text(lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    if result.checklist is None:
        for error in result.errors:
            _line(err, str(error))
        return EXIT_ERROR
    c = result.checklist
    if not result.new:
        _line(out, ADMIN("published_same", lang, key=c.key))
        return EXIT_OK
    title = pick((c.title, c.title_en or c.title), lang)
    _line(out, ADMIN("published", lang, key=c.key, title=title, items=len(c.items)))
    return EXIT_OK


def checklist_list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from sync.hq.services.site_import import published_checklists

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = published_checklists(db)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_checklists", lang))
        return EXIT_OK
    keys = ("col.id", "col.version", "col.type", "col.items", "col.published")
    rows = [[c.id, c.version, c.site_type, str(c.items), _when(c.published_at)] for c in found]
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK


def round_add_main(
    db_url: str | None,
    data_dir: Path,
    name: str,
    date_from: date,
    date_to: date,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
) -> int:
    from sync.hq.services.audit import HQ_ADMIN
    from sync.hq.services.rounds import add_round

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        changed = add_round(db, name, date_from, date_to, actor=HQ_ADMIN, now=utcnow())
    except HqError as exc:
        _line(err, exc.text(lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    key = "round_added" if changed else "round_same"
    _line(out, ADMIN(key, lang, name=name.strip(), start=date_from.isoformat(), end=date_to.isoformat()))
    return EXIT_OK


def round_list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from sync.hq.services.rounds import list_rounds

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = list_rounds(db)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_rounds", lang))
        return EXIT_OK
    from sync.hq.services.bulletin import today_at_hq

    today = today_at_hq()
    keys = ("col.round", "col.from", "col.to", "col.state")
    rows = [
        [r.name, r.date_from.isoformat(), r.date_to.isoformat(), ADMIN(f"round.{r.state(today)}", lang)] for r in found
    ]
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK


def user_list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from sync.hq.services.admin import list_users

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = list_users(db)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_users", lang))
        return EXIT_OK
    keys = ("col.user", "col.role", "col.created", "col.devices", "col.revoked")
    rows = [
        [u.name, u.role, _when(u.created_at), str(u.devices), _when(u.revoked_at) if u.revoked_at else "-"]
        for u in found
    ]
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK


def device_list_main(db_url: str | None, data_dir: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from sync.hq.services.admin import list_devices

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = list_devices(db)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_devices", lang))
        return EXIT_OK
    keys = ("col.id", "col.user", "col.device", "col.app", "col.last_seen", "col.revoked")
    rows = [
        [d.id, d.user, d.name or "-", d.app_version or "-", _when(d.last_seen_at), _when(d.revoked_at)] for d in found
    ]
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK


def device_revoke_main(
    db_url: str | None, data_dir: Path, device_id: str, out: TextIO, err: TextIO, lang: str = "zh"
) -> int:
    from sync.hq.services.admin import revoke_device

    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        device, revoked = revoke_device(db, device_id, now=utcnow())
    except HqError as exc:
        _line(err, exc.text(lang))
        return EXIT_ERROR
    finally:
        db.dispose()
    if revoked:
        _line(out, ADMIN("device_revoked", lang, id=device.id, user=device.user, name=device.name or "-"))
    else:
        _line(out, ADMIN("device_was_revoked", lang, id=device.id, user=device.user, at=_when(device.revoked_at)))
    return EXIT_OK


def audit_main(
    db_url: str | None,
    data_dir: Path,
    since: object,
    actor: str | None,
    limit: int,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
) -> int:
    """The newest audit entries (since a local date, by an actor), newest first."""
    import json
    from datetime import date, datetime

    from sync.hq.services.admin import audit_entries

    start = None
    if isinstance(since, date):
        start = datetime(since.year, since.month, since.day).astimezone()  # local midnight
    db = _admin_db(db_url, data_dir, err, lang)
    if db is None:
        return EXIT_ERROR
    try:
        found = audit_entries(db, since=start, actor=actor, limit=limit)
    finally:
        db.dispose()
    if not found:
        _line(out, ADMIN("no_audit", lang))
        return EXIT_OK
    keys = ("col.time", "col.actor", "col.action", "col.device", "col.detail")
    rows = []
    for a in found:
        detail = json.dumps(a.detail, ensure_ascii=False, default=str)
        if a.count > 1:
            detail += f" ×{a.count} → {_when(a.last_at)}"
        device = " ".join(p for p in (a.device_id or "", a.ip or "") if p) or "-"
        rows.append([_when(a.ts), a.actor, a.action, device, detail[:120]])
    _table(out, [ADMIN(k, lang) for k in keys], rows)
    return EXIT_OK
