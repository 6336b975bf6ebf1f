"""Reports: the ledger export (json / csv / xlsx) and the 督查通报 (Markdown), at both ends.

A report reads facts (facts.py) from a source: the laptop's store or HQ's read model. This module holds what every
report shares: the source contract, the facts gathered once, and writing a report file so that a failure never
leaves half a file under the real name. Heavy imports (openpyxl) stay inside the export function, so importing this
package costs nothing at start-up.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, tzinfo
from operator import attrgetter
from pathlib import Path
from typing import Any, Protocol, cast

from checklists.schema import Checklist
from inspector.core.problems import ProblemStatus
from inspector.core.records import Inspection, Problem, Site
from inspector.reports.facts import (
    Filters,
    InspectionFact,
    ItemFact,
    ProblemFact,
    Tally,
    Window,
    inspection_day,
    tally,
)

__all__ = [
    "Filters",
    "OutputError",
    "ReportData",
    "ReportSource",
    "ReportStore",
    "SourceError",
    "Tally",
    "Window",
    "as_source",
    "inspection_day",
    "load_report_data",
    "tally",
    "write_atomically",
]


class ReportStore(Protocol):
    """The part of inspector.core.store.Store the laptop's reports read; tests may pass anything with these."""

    def sites(self) -> list[Site]: ...

    def inspections(self, site_id: str | None = None) -> list[Inspection]: ...

    def problems(self) -> list[Problem]: ...

    def checklist(self, checklist_id: str, version: str) -> Checklist | None: ...


class SourceError(Exception):
    """The records could not be read (a store that fails, a database that does not answer); the message says why."""


class ReportSource(Protocol):
    """Where a report's rows come from: the laptop's store (`LocalSource`, inspector/reports/local.py) or HQ's read
    model (sync/hq/services/report_source.py). Each narrows by `filters` itself, so HQ can do it in SQL. A source
    whose class sets `reads_concurrently = True` has its inspections and problems read at once, in two threads."""

    def sites(self) -> dict[str, Site]: ...

    def inspection_facts(self, filters: Filters, window: Window | None = None) -> list[InspectionFact]:
        """Those that pass `filters`; with a `window`, a source may leave out what the window says is not read."""
        ...

    def problem_facts(self, filters: Filters, window: Window | None = None) -> list[ProblemFact]: ...

    def problems_by_time(self, filters: Filters) -> Iterator[ProblemFact]:
        """The same problems oldest first (found_at, then id), yielded as they are read: the ledger of a city-year
        (150,000 problems) is written without ever holding them all."""
        ...

    def item_facts(self, inspection_ids: Sequence[str]) -> Iterator[ItemFact]: ...

    def documents(
        self, inspection_ids: Sequence[str], problem_ids: Sequence[str]
    ) -> Iterator[tuple[str, dict[str, Any]]]: ...


@dataclass
class ReportData:
    """Everything a report reads, loaded once from a source."""

    sites: dict[str, Site]
    inspections: list[InspectionFact]
    problems: list[ProblemFact]
    source: ReportSource
    filters: Filters = field(default_factory=Filters)
    # A bulletin's sections ask for the same period's rows again and again (each ranking, the overview, the lists):
    # over a city-year that is 150,000 problems a pass, so each period's rows are picked once.
    _picked: dict[tuple[str, date, date], list[Any]] = field(default_factory=dict, init=False, repr=False)

    def site_name(self, site_id: str) -> str:
        site = self.sites.get(site_id)
        return site.name if site else site_id

    def counted_in(self, date_from: date, date_to: date) -> list[InspectionFact]:
        """The submitted inspections counted in the period, in `inspections` order. Shared: not to be changed."""
        key = ("inspections", date_from, date_to)
        if key not in self._picked:
            self._picked[key] = [i for i in self.inspections if i.submitted and date_from <= i.day <= date_to]
        return cast(list[InspectionFact], self._picked[key])

    def found_in(self, date_from: date, date_to: date, *, void: bool = False) -> list[ProblemFact]:
        """The problems found in the period, in `problems` order, void ones only when asked. Shared: not to be
        changed."""
        key = ("found+void" if void else "found", date_from, date_to)
        if key not in self._picked:
            self._picked[key] = (
                [p for p in self.problems if date_from <= p.found_on <= date_to]
                if void
                else [p for p in self.found_in(date_from, date_to, void=True) if p.status is not ProblemStatus.VOID]
            )
        return cast(list[ProblemFact], self._picked[key])

    def items(self) -> Iterator[ItemFact]:
        """Each inspection's item rows, in `inspections` order; read only by the exports that show them."""
        return self.source.item_facts([i.id for i in self.inspections])


def as_source(store: ReportStore | ReportSource, tz: tzinfo | None = None) -> ReportSource:
    """A store wrapped as the laptop's source; a source as it is."""
    if hasattr(store, "inspection_facts"):
        return cast(ReportSource, store)
    from inspector.reports.local import LocalSource

    return LocalSource(store, tz)


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a report reads and computes: it makes a city-year's 160,000 facts and
    100,000 lines at once, none of them garbage, and every full collection on the way rescans all made so far
    (a third of the bulletin's time over a city-year). Reference counting still frees what is dropped; collection
    resumes (if it was on) when the report is done, nested pauses included."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_report_data(
    store: ReportStore | ReportSource,
    tz: tzinfo | None = None,
    filters: Filters | None = None,
    *,
    inspections: bool = True,
    problems: bool = True,
    window: Window | None = None,
) -> ReportData:
    """Raises SourceError when the records cannot be read. A report that reads no inspections (the ledger alone)
    or no problems says so, and that side stays empty; a report over a period passes its `window`, and the source
    may then leave out the records the window does not read (HQ does, in SQL: a city-year is 150,000 problems)."""
    source = as_source(store, tz)
    filters = filters or Filters()
    with collection_paused(), contextlib.ExitStack() as stack:
        pending = None
        if inspections and getattr(source, "reads_concurrently", False):
            # HQ's reads each take their own connection: the database answers the inspections' query while this
            # thread turns the problems' rows into facts.
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-read"))
            pending = pool.submit(source.inspection_facts, filters, window)
        problem_facts = source.problem_facts(filters, window) if problems else []
        inspection_facts = (
            pending.result() if pending else source.inspection_facts(filters, window) if inspections else []
        )
        # One order whatever the source's: the bulletin's lists read the same from a laptop and from HQ.
        inspection_list = sorted(inspection_facts, key=attrgetter("counted_at", "id"))
        problem_list = sorted(problem_facts, key=attrgetter("found_at", "id"))
        return ReportData(source.sites(), inspection_list, problem_list, source, filters)


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
