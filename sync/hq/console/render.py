"""Pages in the user's language: one Jinja2 environment (autoescaped, so a note holding `<script>` shows as text),
with `t()` for the console's words and filters for the values every page shows (dates, rates, statuses).

The language is the signed-in user's (remembered at HQ, switched from any page), else the browser's
`Accept-Language`, Chinese unless English is asked for.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from inspector.core.problems import ProblemStatus, deadline_text
from inspector.core.records import DeadlineRule, Severity
from sync.hq.console.words import WORDS
from sync.hq.services.console_auth import ConsoleUser
from sync.hq.services.readmodel import REPORT_TZ

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTMX = "htmx-2.0.11.min.js"  # vendored in static/, with its licence; upgrade by replacing the file and this name


def request_lang(request: Request, who: ConsoleUser | None = None) -> str:
    if who is not None:
        return who.lang
    accept = request.headers.get("accept-language", "").strip().lower()
    return "en" if accept.startswith("en") else "zh"


def _local(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(REPORT_TZ):%Y-%m-%d %H:%M}"


def _day(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _rate(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(local=_local, day=_day, rate=_rate)
    return env


def query_with(request: Request, **changes: Any) -> str:
    """This page's query string with some parameters changed (None drops one): pagination and sort links keep the
    filters."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    return urlencode(params)


def render(
    request: Request,
    template: str,
    who: ConsoleUser | None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = request_lang(request, who)

    def t(key: str, **values: object) -> str:
        return WORDS(key, lang, **values)

    def status(value: str | ProblemStatus) -> str:
        return ProblemStatus(value).label(lang)

    def severity(value: str | Severity) -> str:
        return WORDS(f"severity.{Severity(value).value}", lang)

    def deadline(rule: DeadlineRule) -> str:
        return deadline_text(rule, lang)

    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            who=who,
            lang=lang,
            t=t,
            status_label=status,
            severity_label=severity,
            deadline_label=deadline,
            query_with=lambda **changes: query_with(request, **changes),
            htmx=HTMX,
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)
