"""Reports from the local store: the ledger export (json / csv / xlsx) and the 督查通报 (Markdown).

This module holds what both reports read the same way: the store's records gathered once, each inspection's
checklist resolved (the pinned version the store kept, else the built-in one), the 得分率 tally, and writing a
report file so that a failure never leaves half a file under the real name. Heavy imports
(openpyxl) stay inside the export function, so importing this package costs nothing at start-up.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import Protocol

from checklists.schema import Checklist
from inspector.core.overview import checklist_for_inspection
from inspector.core.problems import ProblemView, fold
from inspector.core.records import Inspection, Problem, Site, Verdict
from inspector.core.scoring import rate_text, score, score_rate

__all__ = [
    "OutputError",
    "ReportData",
    "ReportStore",
    "Tally",
    "inspection_day",
    "load_report_data",
    "tally",
    "write_atomically",
]


class ReportStore(Protocol):
    """The part of inspector.core.store.Store the reports read; tests may pass anything with these methods."""

    def sites(self) -> list[Site]: ...

    def inspections(self, site_id: str | None = None) -> list[Inspection]: ...

    def problems(self) -> list[Problem]: ...

    def checklist(self, checklist_id: str, version: str) -> Checklist | None: ...


@dataclass(frozen=True, slots=True)
class Tally:
    """符合 / 不符合 / 不适用 counts of one or more inspections; 得分率 = 符合 / (符合 + 不符合)."""

    passed: int = 0
    failed: int = 0
    not_applicable: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.passed + other.passed, self.failed + other.failed, self.not_applicable + other.not_applicable)

    @property
    def rate(self) -> float | None:
        return score_rate(self.passed, self.failed)

    def rate_text(self) -> str:
        return rate_text(self.rate)


def tally(inspection: Inspection, checklist: Checklist | None) -> Tally:
    """Scored against the checklist when we have it; otherwise from the recorded verdicts alone."""
    if checklist is not None:
        result = score(inspection, checklist)
        return Tally(result.passed, result.failed, result.not_applicable)
    verdicts = [r.verdict for r in inspection.results.values()]
    return Tally(verdicts.count(Verdict.PASS), verdicts.count(Verdict.FAIL), verdicts.count(Verdict.NA))


def inspection_day(inspection: Inspection, tz: tzinfo | None = None) -> date:
    """The local date an inspection counts for: when it was submitted, else finished, else started."""
    moment = inspection.submitted_at or inspection.finished_at or inspection.started_at
    return moment.astimezone(tz).date()


@dataclass
class ReportData:
    """Everything a report reads, loaded once: records by id, checklists resolved, problems folded."""

    sites: dict[str, Site]
    inspections: list[Inspection]
    problems: list[Problem]
    views: dict[str, ProblemView]
    checklists: dict[tuple[str, str], Checklist | None] = field(default_factory=dict)

    def checklist_for(self, inspection: Inspection) -> Checklist | None:
        return self.checklists.get((inspection.checklist_id, inspection.checklist_version))

    def site_name(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return site.name if site else site_id


def load_report_data(store: ReportStore, tz: tzinfo | None = None) -> ReportData:
    sites = {site.id: site for site in store.sites()}
    inspections = store.inspections()
    problems = store.problems()
    checklists: dict[tuple[str, str], Checklist | None] = {}
    for inspection in inspections:
        key = (inspection.checklist_id, inspection.checklist_version)
        if key not in checklists:
            checklists[key] = checklist_for_inspection(store, inspection)
    views = {problem.id: fold(problem, tz) for problem in problems}
    return ReportData(sites, inspections, problems, views, checklists)


class OutputError(Exception):
    """A report file could not be written; `path` is the name the user gave (or was told)."""

    def __init__(self, path: Path, cause: OSError) -> None:
        super().__init__(f"{path}: {cause.strerror or cause}")
        self.path = path
        self.cause = cause


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write to a temporary sibling, then rename: the real name holds a whole file or nothing new."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise OutputError(path, exc) from exc
