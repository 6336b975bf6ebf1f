"""用户与设备 (admins): users with their roles and devices; add a user and show its one-time enrollment code with a
QR code of the enrollment command (segno's inline SVG: markup, no script, no style attribute, so the CSP allows it);
a reviewer or admin gets its console password here, typed twice; revoke a user or a device after a confirmation
page. Every change is audited with the admin and the address."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from inspector.core.ids import utcnow
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Admin, ChangingAdmin, Svc, client_ip
from sync.hq.console.words import WORDS
from sync.hq.services import admin, console_auth, users
from sync.hq.services.console_auth import CONSOLE_ROLES, PASSWORD_MAX, ConsoleUser
from sync.hq.services.errors import HqError, Kind
from sync.protocol import Role

router = APIRouter()

WORDS.update(
    {
        "users.title": ("用户与设备", "Users & devices"),
        "users.users": ("用户", "Users"),
        "users.devices": ("设备", "Devices"),
        "users.name": ("用户名", "Name"),
        "users.role": ("角色", "Role"),
        "users.created": ("创建时间", "Created"),
        "users.state": ("状态", "State"),
        "users.active": ("有效", "active"),
        "users.revoked": ("已停用 {at}", "revoked {at}"),
        "users.device_count": ("设备数", "Devices"),
        "users.device": ("设备名", "Device"),
        "users.device_id": ("设备编号", "Device id"),
        "users.app": ("应用版本", "App version"),
        "users.last_seen": ("最近联系", "Last seen"),
        "users.revoke": ("停用", "Revoke"),
        "users.none": ("还没有用户。", "No user yet."),
        "users.no_devices": ("还没有绑定的设备。", "No enrolled device yet."),
        "users.add": ("新增用户 / 重新发放绑定码", "Add a user / issue a new code"),
        "users.password": ("控制台密码（复核员、管理员）", "Console password (reviewers, admins)"),
        "users.password2": ("再次输入密码", "The password again"),
        "users.add_submit": ("新增并发放绑定码", "Add and issue a code"),
        "users.password_needed": (
            "复核员和管理员需要控制台密码：请输入两次",
            "A reviewer or admin needs a console password: type it twice",
        ),
        "users.password_mismatch": ("两次输入的密码不一致", "The two passwords differ"),
        "users.issued": ("已为 {name}（{role}）发放一次性绑定码", "A one-time code for {name} ({role})"),
        "users.code": ("绑定码", "Code"),
        "users.expires": ("有效期至 {at}，只能使用一次。", "valid until {at}, once."),
        "users.enroll_how": (
            "在督查员的电脑上运行下面的命令，或扫描二维码：",
            "On the inspector's laptop run the command below, or scan the QR code:",
        ),
        "users.password_set": ("已设置控制台密码。", "Console password set."),
        "users.confirm_user": (
            "确定停用用户 {name}？其全部 {n} 台设备将在下次联系时被拒绝，未使用的绑定码作废，控制台会话结束。",
            "Revoke the user {name}? Its {n} devices are refused at their next request, its unused codes die and "
            "its console sessions end.",
        ),
        "users.confirm_device": (
            "确定停用设备 {device}（{user}，{id}）？它下次联系时将被拒绝。",
            "Revoke the device {device} ({user}, {id})? It is refused at its next request.",
        ),
        "users.confirm": ("确认停用", "Revoke"),
        "users.cancel": ("取消", "Cancel"),
        "users.user_revoked": ("已停用用户 {name}，切断设备 {n} 台。", "User {name} revoked; {n} devices cut off."),
        "users.device_revoked": ("已停用设备 {id}。", "Device {id} revoked."),
        "users.already_revoked": ("设备 {id} 早已停用。", "Device {id} was already revoked."),
    }
)

ROLES = {"inspector": "role.inspector", "reviewer": "role.reviewer", "admin": "role.admin"}


def _lists(svc: Svc) -> tuple[list[admin.UserRow], list[admin.DeviceRow]]:
    return admin.list_users(svc.db), admin.list_devices(svc.db)


async def _page(request: Request, svc: Svc, who: ConsoleUser, status_code: int = 200, **context: Any) -> Response:
    found, devices = await run_in_threadpool(_lists, svc)
    return render(
        request,
        "users.html",
        who,
        status_code=status_code,
        users=found,
        devices=devices,
        roles=ROLES,
        **context,
    )


@router.get("/users")
async def users_page(
    request: Request,
    svc: Svc,
    who: Admin,
    revoked_user: str = "",
    devices: int = 0,
    revoked_device: str = "",
    already: int = 0,
) -> Response:
    """The list; after a revocation, what it did (from the redirect's query: words only, nothing changes)."""
    lang = request_lang(request, who)
    done = ""
    if revoked_user:
        done = WORDS("users.user_revoked", lang, name=revoked_user[:200], n=devices)
    elif revoked_device:
        key = "users.already_revoked" if already else "users.device_revoked"
        done = WORDS(key, lang, id=revoked_device[:200])
    return await _page(request, svc, who, done=done)


def enrollment_text(request: Request, code: str) -> str:
    """What a laptop runs to enroll: HQ's address as this browser reached it, and the code."""
    return f"inspector enroll {str(request.base_url).rstrip('/')} {code}"


def qr_svg(text: str) -> Markup:
    import segno

    return Markup(segno.make(text, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=None))


@router.post("/users")
async def users_add(
    request: Request,
    svc: Svc,
    who: ChangingAdmin,
    name: Annotated[str, Form(max_length=400)],
    role: Annotated[str, Form(pattern="^(inspector|reviewer|admin)$")],
    password: Annotated[str, Form(max_length=PASSWORD_MAX + 1)] = "",
    password2: Annotated[str, Form(max_length=PASSWORD_MAX + 1)] = "",
) -> Response:
    lang = request_lang(request, who)
    wanted = Role(role)
    console = wanted in CONSOLE_ROLES
    form = {"name": name, "role": role}
    if console:
        problem = None
        if not password or not password2:
            problem = WORDS("users.password_needed", lang)
        elif password != password2:
            problem = WORDS("users.password_mismatch", lang)
        else:
            try:
                console_auth.check_password(password)
            except HqError as exc:
                problem = exc.text(lang)
        if problem:
            return await _page(request, svc, who, 422, error=problem, form=form)
    ip = client_ip(request)

    def add() -> users.IssuedCode:
        issued = users.add_user(svc.db, name, wanted, now=utcnow(), actor=who.name, ip=ip)
        if console:
            console_auth.set_password(svc.db, issued.user, password, now=utcnow(), actor=who.name, ip=ip)
        return issued

    try:
        issued = await run_in_threadpool(add)
    except HqError as exc:
        return await _page(request, svc, who, 422, error=exc.text(lang), form=form)
    text = enrollment_text(request, issued.code)
    return render(
        request,
        "users_added.html",
        who,
        issued=issued,
        role_key=ROLES[issued.role.value],
        enroll=text,
        qr=qr_svg(text),
        password_set=console,
    )


@router.get("/users/revoke")
async def users_revoke_confirm(request: Request, svc: Svc, who: Admin, name: str) -> Response:
    found = await run_in_threadpool(admin.list_users, svc.db)
    row = next((u for u in found if u.name == name), None)
    if row is None:
        raise HqError(Kind.NOT_FOUND, "no_user", name=name[:80])
    return render(request, "users_confirm.html", who, user=row)


@router.post("/users/revoke")
async def users_revoke(
    request: Request, svc: Svc, who: ChangingAdmin, name: Annotated[str, Form(max_length=400)]
) -> Response:
    count = await run_in_threadpool(
        lambda: users.revoke_user(svc.db, name, now=utcnow(), actor=who.name, ip=client_ip(request))
    )
    query = urlencode({"revoked_user": name.strip(), "devices": count})
    return RedirectResponse(f"/users?{query}", status_code=303)


@router.get("/users/device/revoke")
async def device_revoke_confirm(request: Request, svc: Svc, who: Admin, id: str) -> Response:
    found = await run_in_threadpool(admin.list_devices, svc.db)
    row = next((d for d in found if d.id == id), None)
    if row is None:
        raise HqError(Kind.NOT_FOUND, "no_device", id=id[:80])
    return render(request, "users_confirm.html", who, device=row)


@router.post("/users/device/revoke")
async def device_revoke(
    request: Request, svc: Svc, who: ChangingAdmin, id: Annotated[str, Form(max_length=200)]
) -> Response:
    row, revoked = await run_in_threadpool(
        lambda: admin.revoke_device(svc.db, id, now=utcnow(), actor=who.name, ip=client_ip(request))
    )
    query = urlencode({"revoked_device": row.id, "already": 0 if revoked else 1})
    return RedirectResponse(f"/users?{query}", status_code=303)
