"""The laptop's report source: facts derived from the store's records when a report asks for them.

Each inspection is scored against the exact checklist version it was pinned to (the built-in one when the store
lacks it) and each problem folded with the device's `fold`: the same derivations HQ's read model applies when it
accepts a push, so both ends count alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Any

from checklists.schema import Checklist
from inspector.core.overview import checklist_for_inspection
from inspector.core.problems import fold
from inspector.core.records import Inspection, Problem, Site
from inspector.core.store import StoreError
from inspector.reports import ReportStore, SourceError
from inspector.reports.facts import (
    Filters,
    InspectionFact,
    ItemFact,
    ProblemFact,
    Window,
    inspection_fact,
    item_facts,
    problem_fact,
)

__all__ = ["LocalSource", "site_matches"]


def site_matches(site: Site | None, filters: Filters) -> bool:
    """Whether a record of this site passes the filters' 街道 and 社区 (a record of an unknown site passes only an
    empty filter)."""
    if filters.street is not None and (site is None or site.street != filters.street):
        return False
    return filters.community is None or (site is not None and site.community == filters.community)


class LocalSource:
    """Reads the store once, on first use; a report is one pass over a snapshot."""

    def __init__(self, store: ReportStore, tz: tzinfo | None = None) -> None:
        self._store = store
        self._tz = tz
        self._loaded: tuple[dict[str, Site], list[Inspection], list[Problem]] | None = None
        self._checklists: dict[tuple[str, str], Checklist | None] = {}

    def _load(self) -> tuple[dict[str, Site], list[Inspection], list[Problem]]:
        if self._loaded is None:
            try:
                sites = {site.id: site for site in self._store.sites()}
                self._loaded = (sites, self._store.inspections(), self._store.problems())
            except StoreError as exc:
                raise SourceError(str(exc)) from exc
        return self._loaded

    def _checklist(self, inspection: Inspection) -> Checklist | None:
        key = (inspection.checklist_id, inspection.checklist_version)
        if key not in self._checklists:
            self._checklists[key] = checklist_for_inspection(self._store, inspection)
        return self._checklists[key]

    def sites(self) -> dict[str, Site]:
        return self._load()[0]

    def inspection_facts(self, filters: Filters, window: Window | None = None) -> list[InspectionFact]:
        """Every inspection that passes `filters`: a laptop's store is small, so the window is not applied."""
        sites, inspections, _ = self._load()
        facts = [inspection_fact(i, self._checklist(i), self._tz) for i in inspections]
        return [
            f
            for f in facts
            if filters.in_period(f.day)
            and (filters.batch is None or f.batch == filters.batch)
            and site_matches(sites.get(f.site_id), filters)
        ]

    def problem_facts(self, filters: Filters, window: Window | None = None) -> list[ProblemFact]:
        sites, inspections, problems = self._load()
        batches = {i.id: i.batch for i in inspections}
        facts = [problem_fact(p, fold(p, self._tz), batches.get(p.inspection_id, ""), self._tz) for p in problems]
        return [f for f in facts if problem_passes(f, sites.get(f.site_id), filters)]

    def problems_by_time(self, filters: Filters) -> Iterator[ProblemFact]:
        """A laptop's problems fit in memory: sorted, then yielded."""
        return iter(sorted(self.problem_facts(filters), key=lambda p: (p.found_at, p.id)))

    def item_facts(self, inspection_ids: Sequence[str]) -> Iterator[ItemFact]:
        by_id = {i.id: i for i in self._load()[1]}
        for inspection_id in inspection_ids:
            inspection = by_id.get(inspection_id)
            if inspection is not None:
                yield from item_facts(inspection, self._checklist(inspection))

    def photo_path(self, sha256: str) -> Path | None:
        """Where the store keeps a photo, when it does and the file is there (a 整改通知书 embeds it); optional in
        the source contract: a store without `attachment_path` gives None."""
        locate = getattr(self._store, "attachment_path", None)
        if locate is None:
            return None
        try:
            path = Path(locate(sha256))
        except (StoreError, ValueError, OSError):
            return None
        return path if path.is_file() else None

    def documents(
        self, inspection_ids: Sequence[str], problem_ids: Sequence[str]
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The records whole, for the JSON export: these inspections, then these problems (store order)."""
        _, inspections, problems = self._load()
        wanted = set(inspection_ids)
        for inspection in inspections:
            if inspection.id in wanted:
                yield "inspection", inspection.model_dump(mode="json")
        kept = set(problem_ids)
        for problem in problems:
            if problem.id in kept:
                yield "problem", problem.model_dump(mode="json")


def problem_passes(fact: ProblemFact, site: Site | None, filters: Filters) -> bool:
    """The filters as a problem meets them; HQ's read model applies the same ones in SQL."""
    return (
        filters.in_period(fact.found_on)
        and (filters.batch is None or fact.batch == filters.batch)
        and (filters.unit is None or fact.responsible_unit == filters.unit)
        and (filters.status is None or fact.status is filters.status)
        and (filters.overdue_on is None or fact.overdue_days(filters.overdue_on) > 0)
        and site_matches(site, filters)
    )
