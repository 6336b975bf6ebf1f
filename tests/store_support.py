"""Helpers for the store's tests: reopen a store, start a draft, a problem with its 登记 event."""

from __future__ import annotations

from inspector.core.records import EventKind, Inspection, Problem, ProblemEvent
from inspector.core.store import Store

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def reopen(store: Store) -> Store:
    """Close and open again: what a restart of the app sees."""
    store.close()
    return Store.open(store.data_dir)


def new_draft(store: Store, site_id: str = "site-1") -> Inspection:
    inspection = Inspection(site_id=site_id, checklist_id="residential", checklist_version="2026.1")
    store.save_inspection(inspection)
    return inspection


def problem_for(inspection: Inspection, code: str = "LY-01-01") -> Problem:
    problem = Problem(
        inspection_id=inspection.id,
        site_id=inspection.site_id,
        item_code=code,
        item_text="楼道内无堆物堆料",
        description="楼道堆放纸箱",
    )
    problem.events.append(ProblemEvent(problem_id=problem.id, kind=EventKind.REGISTER, actor="张三"))
    return problem
