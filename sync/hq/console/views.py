"""A list's view as the URL holds it: filters, sort and page, parsed once and checked, so a page, its htmx
fragment, its export and its bulk action all read the same rows.

A bad value (an unknown status, a date that is not a date) is a 422 naming the parameter and the value, never a
500 and never silently ignored. Free text is passed on as text; the queries treat it as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from inspector.core.problems import OPEN_STATUSES, ProblemStatus
from inspector.core.records import Severity
from inspector.reports.facts import Filters
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.ledger import SORTS, Narrow

PAGE_SIZE = 50
PAGE_SIZES = (50, 200, 1000)  # 1000: the print view of a unit's or a street's list
TEXT_MAX = 200
SOON_DAYS = 2
OPEN = "open"  # the status choice "every open one", the ledger's default
ALL = "all"  # the status choice "every status"


def bad_param(param: str, value: str) -> HqError:
    """The refusal of a parameter's value, naming both (the value cut short)."""
    shown = value if len(value) <= 40 else value[:40] + "…"
    return HqError(Kind.INVALID, "bad_param", key="console_bad_param", param=param, value=shown)


def text_param(params: QueryParams, name: str) -> str | None:
    value = params.get(name, "").strip()
    if len(value) > TEXT_MAX:
        raise bad_param(name, value[:40] + "…")
    return value or None


def day_param(params: QueryParams, name: str) -> date | None:
    value = text_param(params, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_param(name, value) from None


def _flag(params: QueryParams, name: str) -> bool:
    return params.get(name, "") in ("1", "true", "on")


def page_param(params: QueryParams) -> int:
    value = params.get("page", "1").strip() or "1"
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise bad_param("page", value[:20])
    return int(value)


@dataclass(frozen=True)
class LedgerView:
    filters: Filters
    statuses: frozenset[ProblemStatus] | None  # None: every status
    narrow: Narrow
    sort: str
    page: int
    status_choice: str  # what the status select shows: "open", "all" or one status
    overdue: bool
    due_soon: bool
    params: dict[str, str] = field(default_factory=dict)  # the view's own parameters, for links and bulk forms

    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def query(self, **changes: str | None) -> str:
        """The view's query string with some parameters changed (None drops one)."""
        merged = {**self.params, **{k: v for k, v in changes.items() if v is not None}}
        for key in [k for k, v in changes.items() if v is None]:
            merged.pop(key, None)
        return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


LEDGER_PARAMS = (
    "status", "overdue", "due_soon", "conflicts", "severity", "unit", "street", "community", "item", "batch", "q",
    "date_from", "date_to", "sort", "size",
)  # fmt: skip


def ledger_view(params: QueryParams, today: date) -> LedgerView:
    status_choice = params.get("status", OPEN).strip()
    statuses: frozenset[ProblemStatus] | None
    if status_choice == OPEN:
        statuses = frozenset(OPEN_STATUSES)
    elif status_choice in ("", ALL):
        status_choice, statuses = ALL, None
    else:
        try:
            statuses = frozenset({ProblemStatus(status_choice)})
        except ValueError:
            raise bad_param("status", status_choice[:40]) from None
    severity = text_param(params, "severity")
    if severity is not None and severity not in {s.value for s in Severity}:
        raise bad_param("severity", severity)
    sort = params.get("sort", "due").strip() or "due"
    if sort not in SORTS:
        raise bad_param("sort", sort[:40])
    overdue, due_soon = _flag(params, "overdue"), _flag(params, "due_soon")
    filters = Filters(
        date_from=day_param(params, "date_from"),
        date_to=day_param(params, "date_to"),
        street=text_param(params, "street"),
        community=text_param(params, "community"),
        unit=text_param(params, "unit"),
        overdue_on=today if overdue else None,
        batch=text_param(params, "batch"),
    )
    narrow = Narrow(
        severity=severity,
        item=text_param(params, "item"),
        text=text_param(params, "q"),
        due_by=today + timedelta(days=SOON_DAYS) if due_soon else None,
        conflicts=_flag(params, "conflicts"),
    )
    own = {name: params.get(name, "") for name in LEDGER_PARAMS if params.get(name, "") != ""}
    own["status"] = status_choice
    size = params.get("size", str(PAGE_SIZE)).strip() or str(PAGE_SIZE)
    if not size.isdigit() or int(size) not in PAGE_SIZES:
        raise bad_param("size", size)
    return LedgerView(
        size=int(size),
        filters=filters,
        statuses=statuses,
        narrow=narrow,
        sort=sort,
        page=page_param(params),
        status_choice=status_choice,
        overdue=overdue,
        due_soon=due_soon,
        params=own,
    )


def urlencode_kept(params: QueryParams, names: tuple[str, ...]) -> str:
    """The given parameters of a page's query string, re-encoded: links to its export and next page keep them."""
    return urlencode([(name, params[name]) for name in names if params.get(name, "")])
