"""`inspector calendar add FILE.yaml` and `inspector calendar list`: the years whose 工作日 the app counts exactly.

A year's arrangement is added from the State Council's notice as a small YAML file (inspector/core/workdays.py has
the format); it is kept in the data dir's `calendar/` folder, which every command reads at start (`load_calendars`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue

TEXT = Catalogue(
    "calendar",
    {
        "added": (
            "已载入 {year} 年节假日安排：放假 {holidays} 天，调休上班 {workdays} 天（{source}）。保存在 {path}",
            "loaded the {year} holiday arrangement: {holidays} days off, {workdays} weekend days worked ({source}). "
            "Kept in {path}",
        ),
        "bad": ("无法使用节假日安排文件：{problem}", "cannot use the holiday arrangement file: {problem}"),
        "save_failed": ("无法保存 {path}：{error}", "cannot save {path}: {error}"),
        "known": ("已知节假日安排的年份：{years}", "years with a known holiday arrangement: {years}"),
        "unknown_next": (
            "{year} 年的节假日安排尚未载入：跨入该年的「N 个工作日」时限只跳过周末，并标为估算。",
            "the {year} arrangement is not loaded: deadlines in working days that reach into it skip weekends only "
            "and are marked as estimated.",
        ),
        "no_source": ("未注明来源", "no source given"),
    },
)


def calendar_folder(data_dir: Path) -> Path:
    return data_dir / "calendar"


def load_calendars(data_dir: Path, err: TextIO, lang: str) -> None:
    """Add every arrangement kept in the data dir; a file that cannot be used is named, never fatal."""
    from inspector.core.workdays import load_arrangements

    for problem in load_arrangements(calendar_folder(data_dir)):
        err.write(TEXT("bad", lang, problem=problem) + "\n")


def calendar_add_main(data_dir: Path, source: Path, out: TextIO, err: TextIO, lang: str = "zh") -> int:
    from inspector.core.workdays import ArrangementError, add_arrangement, load_arrangement

    try:
        arrangement = load_arrangement(source)
    except ArrangementError as exc:
        err.write(TEXT("bad", lang, problem=exc) + "\n")
        return 1
    target = calendar_folder(data_dir) / f"{arrangement.year}.yaml"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".tmp")
        shutil.copyfile(source, temporary)
        temporary.replace(target)
    except OSError as exc:
        err.write(TEXT("save_failed", lang, path=target, error=exc.strerror or exc) + "\n")
        return 1
    add_arrangement(arrangement)
    out.write(
        TEXT(
            "added",
            lang,
            year=arrangement.year,
            holidays=len(arrangement.holidays),
            workdays=len(arrangement.workdays),
            source=arrangement.source or TEXT("no_source", lang),
            path=target,
        )
        + "\n"
    )
    return 0


def calendar_list_main(out: TextIO, lang: str = "zh", today_year: int | None = None) -> int:
    from datetime import date

    from inspector.core.workdays import known_years

    years = known_years()
    out.write(TEXT("known", lang, years=", ".join(str(y) for y in years)) + "\n")
    upcoming = (today_year or date.today().year) + 1
    if upcoming not in years:
        out.write(TEXT("unknown_next", lang, year=upcoming) + "\n")
    return 0
