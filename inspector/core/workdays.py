"""工作日 as China counts them: weekends off, statutory holidays off, and the 调休 Saturdays or Sundays worked.

The State Council publishes each year's arrangement in the autumn before it. `chinese-calendar` carries the years
it has been released with; a year it does not know yet can be added from the notice itself (`add_arrangement`, or
`inspector calendar add FILE.yaml`, which keeps the file in the data dir so every later start knows it). A year
nobody has given is never guessed silently: `workday` says it does not know, and a deadline computed across it is
marked as estimated (weekends only) so the ledger can say so.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

__all__ = [
    "Arrangement",
    "ArrangementError",
    "add_arrangement",
    "add_workdays",
    "known_years",
    "load_arrangement",
    "load_arrangements",
    "workday",
]


@dataclass(frozen=True)
class Arrangement:
    """One year's 放假安排: the days off that would be working days, and the weekend days worked (调休)."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    source: str = ""  # e.g. 国办发明电〔2026〕N 号


class ArrangementError(ValueError):
    """A calendar file that cannot be used; the message names the file and the line or the field."""


_lock = threading.Lock()
_added: dict[int, Arrangement] = {}


def add_arrangement(arrangement: Arrangement) -> None:
    """Know this year from now on, in this process (it replaces what the library or an earlier file said)."""
    with _lock:
        _added[arrangement.year] = arrangement


@functools.cache
def _library_years() -> frozenset[int]:
    """Read once: `workday` runs for every day of every deadline a fold computes, a hot path in reports."""
    from chinese_calendar import constants

    return frozenset(d.year for d in constants.holidays)


def _library_knows(year: int) -> bool:
    return year in _library_years()


def known_years() -> list[int]:
    return sorted(_library_years() | set(_added))


def workday(day: date) -> bool | None:
    """Whether `day` is a working day, or None when nobody has given this year's arrangement."""
    with _lock:
        added = _added.get(day.year)
    if added is not None:
        if day in added.workdays:
            return True
        return day.weekday() < 5 and day not in added.holidays
    if not _library_knows(day.year):
        return None
    return _library_workday(day)


@functools.lru_cache(maxsize=8192)
def _library_workday(day: date) -> bool:
    """The library's answer, which never changes in a process: a fold asks it for each day of each deadline, and
    HQ folds every problem a push touches (half of an event push's time went here). Years added from a file are
    looked up before it, so an addition takes effect at once."""
    import chinese_calendar

    return bool(chinese_calendar.is_workday(day))


def add_workdays(start: date, n: int) -> tuple[date, bool]:
    """The n-th working day after `start`, and whether every day counted was known (False: weekends only, for
    the days of a year without an arrangement)."""
    day, left, exact = start, n, True
    while left > 0:
        day += timedelta(days=1)
        known = workday(day)
        if known is None:
            exact = False
            known = day.weekday() < 5
        if known:
            left -= 1
    return day, exact


# --- files ------------------------------------------------------------------------------------------------------


def load_arrangement(path: Path) -> Arrangement:
    """A YAML file as the notice gives it:

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知
    holidays: [2027-01-01, 2027-02-05, ...]   # days off that are not weekends, or all days off
    workdays: [2027-02-20, ...]               # the 调休 weekend days worked
    """
    import yaml  # only when a calendar file exists: not on every start-up

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ArrangementError(f"{path}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ArrangementError(f"{where}: {getattr(exc, 'problem', None) or exc}") from exc
    if not isinstance(data, dict):
        raise ArrangementError(f"{path}: expected year, holidays and workdays")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ArrangementError(f"{path}: year: {year!r} is not a year")
    days: dict[str, frozenset[date]] = {}
    for name in ("holidays", "workdays"):
        listed = data.get(name) or []
        if not isinstance(listed, list) or not all(isinstance(d, date) for d in listed):
            raise ArrangementError(f"{path}: {name}: expected a list of dates (YYYY-MM-DD)")
        wrong = [d for d in listed if d.year != year]
        if wrong:
            raise ArrangementError(f"{path}: {name}: {wrong[0].isoformat()} is not in {year}")
        days[name] = frozenset(listed)
    both = days["holidays"] & days["workdays"]
    if both:
        raise ArrangementError(f"{path}: {min(both).isoformat()} is listed as a holiday and as a working day")
    return Arrangement(year, days["holidays"], days["workdays"], str(data.get("source") or ""))


def load_arrangements(folder: Path) -> list[str]:
    """Every `*.yaml` in the folder added; returns the problems of the files that could not be used."""
    problems: list[str] = []
    if not folder.is_dir():
        return problems
    for path in sorted(folder.glob("*.yaml")):
        try:
            add_arrangement(load_arrangement(path))
        except ArrangementError as exc:
            problems.append(str(exc))
    return problems
