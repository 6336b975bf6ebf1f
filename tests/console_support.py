"""Support for the console tests: reviewers and admins with passwords, signed-in httpx clients, and the CSRF token of
a page, against the real HQ server of tests/sync_support.py (uvicorn in a subprocess on loopback)."""

from __future__ import annotations

import re

import httpx

from inspector.core.ids import utcnow
from sync.hq.db import Database
from sync.hq.services.console_auth import set_password
from sync.hq.services.users import add_user
from sync.protocol import Role
from tests.sync_support import HQServer, unique

PASSWORD = "correct horse 电池"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def console_user(db_url: str, role: Role = Role.REVIEWER, name: str | None = None, password: str = PASSWORD) -> str:
    """A reviewer or admin with a console password, made as `inspector hq user add` makes it. Returns the name."""
    db = Database(db_url)
    try:
        db.migrate()
        issued = add_user(db, name or unique(role.value), role, now=utcnow())
        set_password(db, issued.user, password, now=utcnow())
    finally:
        db.dispose()
    return issued.user


class Console:
    """A browser-like client of one signed-in user: keeps the session cookie, knows the session's CSRF token."""

    def __init__(self, server: HQServer, name: str, password: str = PASSWORD, *, lang: str = "zh") -> None:
        self.server = server
        self.name = name
        self.client = httpx.Client(base_url=server.url, headers={"Accept-Language": lang}, timeout=60)
        response = self.client.post("/signin", data={"name": name, "password": password, "next": "/"})
        assert response.status_code == 303, response.text
        self.csrf = csrf_of(self.client.get("/").text)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.client.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, data: dict[str, object] | None = None, **kwargs: object) -> httpx.Response:
        """A form post carrying the session's CSRF token (as the page's hidden field does)."""
        return self.client.post(path, data={"csrf": self.csrf, **(data or {})}, **kwargs)  # type: ignore[arg-type]

    def fragment(self, path: str, **kwargs: object) -> httpx.Response:
        """What htmx asks for: the same URL with HX-Request, answered with a fragment."""
        return self.client.get(path, headers={"HX-Request": "true"}, **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        self.client.close()


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token on the page (not signed in?)"
    return found.group(1)
