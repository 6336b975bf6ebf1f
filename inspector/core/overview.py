"""What the site list shows per site: the last inspection, its 得分率, an open draft, open problems."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from checklists.schema import Checklist
from inspector.core.records import Inspection, InspectionStatus, Site
from inspector.core.scoring import Score, score
from inspector.core.store import Store


@dataclass(frozen=True, slots=True)
class SiteSummary:
    last_submitted: datetime | None = None
    last_score: Score | None = None
    draft_answered: int | None = None  # answered items of the open draft, None when there is no draft
    draft_total: int = 0
    open_problems: int = 0


class PinnedChecklists(Protocol):
    """Where pinned checklist versions are kept: the store, or what a report reads from it."""

    def checklist(self, checklist_id: str, version: str) -> Checklist | None: ...


def checklist_for_inspection(store: PinnedChecklists, inspection: Inspection) -> Checklist | None:
    """The exact checklist version the inspection was pinned to; the built-in one if the store lacks it."""
    pinned = store.checklist(inspection.checklist_id, inspection.checklist_version)
    if pinned is not None:
        return pinned
    from checklists.registry import builtin_checklist

    # A newer built-in version still scores by item code: better than showing nothing.
    return builtin_checklist(inspection.checklist_id)


def checklist_for_site(site: Site, held: Iterable[Checklist] = ()) -> Checklist | None:
    """The checklist a new inspection of this site walks: the site's own choice, else the one for its type; of
    those, the newest version HQ published (`held`, the store's checklists), the built-in one only when HQ has
    published none. A site type HQ names (农贸市场 ...) is walkable as soon as its checklist has been pulled."""
    from checklists.registry import SITE_TYPE_ALIASES, builtin_checklist, checklist_for_site_type

    if site.checklist_id:
        wanted = [c for c in held if c.id == site.checklist_id]
    else:
        site_type = SITE_TYPE_ALIASES.get(site.site_type.strip(), site.site_type.strip())
        wanted = [c for c in held if SITE_TYPE_ALIASES.get(c.site_type, c.site_type) == site_type]
    if wanted:
        return max(wanted, key=lambda c: _version_key(c.version))
    if site.checklist_id:
        return builtin_checklist(site.checklist_id)
    return checklist_for_site_type(site.site_type)


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """`2026.10` after `2026.9`: numbers compared as numbers, the rest as text."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\-_ ]+", version))


def site_summaries(store: Store) -> dict[str, SiteSummary]:
    # Only the latest of each per site: the store validates just those, not every result ever recorded.
    latest = {i.site_id: i for i in store.inspections(status=InspectionStatus.SUBMITTED, latest_per_site=True)}
    drafts = {i.site_id: i for i in store.inspections(status=InspectionStatus.DRAFT, latest_per_site=True)}
    open_counts: dict[str, int] = {}
    problems = store.problems()
    if problems:  # the state machine is imported only when there is something to fold (start-up)
        from inspector.core.problems import fold

        for problem in problems:
            if fold(problem).is_open:
                open_counts[problem.site_id] = open_counts.get(problem.site_id, 0) + 1
    summaries: dict[str, SiteSummary] = {}
    for site in store.sites():
        last = latest.get(site.id)
        draft = drafts.get(site.id)
        last_score = None
        if last is not None:
            checklist = checklist_for_inspection(store, last)
            last_score = score(last, checklist) if checklist else None
        draft_total = 0
        if draft is not None:
            checklist = checklist_for_inspection(store, draft)
            draft_total = len(checklist.items) if checklist else 0
        summaries[site.id] = SiteSummary(
            last_submitted=last.submitted_at if last else None,
            last_score=last_score,
            draft_answered=sum(1 for r in draft.results.values() if r.verdict) if draft else None,
            draft_total=draft_total,
            open_problems=open_counts.get(site.id, 0),
        )
    return summaries
