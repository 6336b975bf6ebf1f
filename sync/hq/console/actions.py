"""A reviewer's decision as a form posts it (the ledger's bulk form, or a problem's own page): parsed and checked
once, so both act on the same terms. It applies to the chosen ids, or to every row of the ledger view the form
carries (`view`: the ledger's query string, re-read here, never trusted as rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from inspector.core.problems import deadline_text
from inspector.core.records import DeadlineKind, DeadlineRule
from sync.hq.console.views import LedgerView, bad_param, ledger_view
from sync.hq.console.words import WORDS
from sync.hq.services.errors import HqError, Kind
from sync.hq.services.problem_actions import Action

IDS_MAX = 200_000
Form = dict[str, str | list[str]]


@dataclass(frozen=True)
class Bulk:
    action: Action
    scope: str  # "selected" (the ids) or "all" (every row of the view)
    ids: list[str]
    view: LedgerView
    view_query: str
    unit: str | None
    rule: DeadlineRule | None  # None: the deadline stays as it is
    note: str


async def form_values(request: Request) -> Form:
    """The posted form's text fields; `ids` as a list (a checkbox per row)."""
    form = await request.form()
    out: Form = {"ids": []}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if key == "ids":
            listed = out["ids"]
            assert isinstance(listed, list)
            listed.append(value)
        else:
            out[key] = value
    return out


def bulk_from_form(form: Form, today: date) -> Bulk:
    def one(name: str) -> str:
        value = form.get(name, "")
        return (value[0] if value else "") if isinstance(value, list) else value

    try:
        action = Action(one("action"))
    except ValueError:
        raise bad_param("action", one("action")) from None
    view_query = one("view")[:4000]
    view = ledger_view(QueryParams(view_query), today)
    listed = form.get("ids", [])
    ids = [i for i in (listed if isinstance(listed, list) else [listed]) if i][:IDS_MAX]
    rule: DeadlineRule | None = None
    kind = one("deadline_kind")
    if action is Action.ASSIGN and kind:
        try:
            immediate = kind == DeadlineKind.IMMEDIATE.value
            rule = DeadlineRule(kind=DeadlineKind(kind), n=0 if immediate else int(one("deadline_n") or "0"))
        except (ValueError, ValidationError):
            raise bad_param("deadline_n", one("deadline_n")) from None
    unit = one("unit").strip()[:200] or None
    return Bulk(
        action=action,
        scope="all" if one("scope") == "all" else "selected",
        ids=ids,
        view=view,
        view_query=view_query,
        unit=unit if action is Action.ASSIGN else None,
        rule=rule,
        note=one("note")[:2000],
    )


def check_reason(bulk: Bulk) -> None:
    """作废 and 挂账 need their reason before anything is counted or confirmed."""
    if bulk.action in (Action.VOID, Action.SHELVE) and not bulk.note.strip():
        raise HqError(Kind.INVALID, "reason_needed", key="action_reason")


def deadline_words(rule: DeadlineRule | None, lang: str) -> str:
    return WORDS("bulk.deadline.keep", lang) if rule is None else deadline_text(rule, lang)
