"""工作日 deadlines across China's holidays and 调休, and the years no one has given yet."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from inspector.calendar_commands import calendar_add_main, calendar_list_main, load_calendars
from inspector.core import workdays
from inspector.core.problems import deadline_of, due_date
from inspector.core.records import DeadlineKind, DeadlineRule

WORKDAYS = DeadlineKind.WORKDAYS

# An arrangement for 2027 in the notice's shape, made up for this test: the project ships no 2027 data (the
# library stops at 2026) and must not invent the State Council's; the dates only exercise the counting.
TEST_2027 = """\
year: 2027
source: 测试用安排（非官方）
holidays: [2027-02-05, 2027-02-08, 2027-02-09, 2027-02-10, 2027-02-11]
workdays: [2027-02-13]
"""


@pytest.fixture(autouse=True)
def clean_calendar() -> Iterator[None]:
    saved = dict(workdays._added)
    workdays._added.clear()
    yield
    workdays._added.clear()
    workdays._added.update(saved)


def test_a_deadline_set_before_national_day_2026_skips_the_golden_week_and_counts_the_make_up_saturday() -> None:
    rule = DeadlineRule(kind=WORKDAYS, n=3)
    # 9-30 (Wed) + 3 工作日: 10-1 … 10-7 off, 10-8 Thu, 10-9 Fri, and Saturday 10-10 is a 调休 working day.
    assert deadline_of(date(2026, 9, 30), rule) == (date(2026, 10, 10), True)
    # Weekends alone would have said 10-05: a week early.
    assert due_date(date(2026, 9, 30), rule) != date(2026, 10, 5)


def test_a_make_up_sunday_before_the_holiday_is_a_working_day() -> None:
    assert workdays.workday(date(2026, 9, 20)) is True  # Sunday, worked for 国庆
    assert workdays.workday(date(2026, 9, 19)) is False  # an ordinary Saturday
    assert workdays.workday(date(2026, 10, 6)) is False  # a Tuesday inside the holiday


def test_a_year_no_one_has_given_is_counted_by_weekends_and_said_to_be_estimated() -> None:
    rule = DeadlineRule(kind=WORKDAYS, n=5)
    assert workdays.workday(date(2027, 2, 8)) is None
    due, exact = deadline_of(date(2027, 2, 3), rule)
    assert (due, exact) == (date(2027, 2, 10), False)
    # Calendar days and 立行立改 need no calendar: always exact.
    assert deadline_of(date(2027, 2, 3), DeadlineRule(kind=DeadlineKind.DAYS, n=5)) == (date(2027, 2, 8), True)


def test_spring_festival_2027_once_its_arrangement_is_added(tmp_path: Path) -> None:
    source = tmp_path / "2027.yaml"
    source.write_text(TEST_2027, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert calendar_add_main(tmp_path / "data", source, out, err, "zh") == 0, err.getvalue()
    assert "已载入 2027 年节假日安排：放假 5 天，调休上班 1 天" in out.getvalue()
    # 2-3 (Wed) + 5 工作日: 2-4 Thu (1), 2-5 off, 2-8 … 2-11 off, 2-12 Fri (2), Saturday 2-13 worked (3),
    # 2-15 Mon (4), 2-16 Tue (5).
    assert deadline_of(date(2027, 2, 3), DeadlineRule(kind=WORKDAYS, n=5)) == (date(2027, 2, 16), True)
    workdays._added.clear()  # a new process: the file kept in the data dir brings it back
    load_calendars(tmp_path / "data", err, "zh")
    assert workdays.workday(date(2027, 2, 13)) is True
    listed = io.StringIO()
    calendar_list_main(listed, "en", today_year=2026)
    assert "2026, 2027" in listed.getvalue() and "not loaded" not in listed.getvalue()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("year: 2027\nholidays: [2026-12-31]\n", "2026-12-31 is not in 2027"),
        ("year: soon\n", "year: 'soon' is not a year"),
        ("year: 2027\nholidays: [2027-02-05]\nworkdays: [2027-02-05]\n", "as a holiday and as a working day"),
        ("year: 2027\nholidays: [tomorrow]\n", "expected a list of dates"),
        ("year: [2027\n", "2027.yaml:"),
    ],
)
def test_a_bad_arrangement_file_is_named_and_changes_nothing(tmp_path: Path, text: str, words: str) -> None:
    source = tmp_path / "2027.yaml"
    source.write_text(text, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert calendar_add_main(tmp_path / "data", source, out, err, "en") == 1
    assert words in err.getvalue() and str(source) in err.getvalue()
    assert not (tmp_path / "data" / "calendar").exists()
    assert workdays.workday(date(2027, 2, 8)) is None


def test_next_year_unknown_is_said_by_calendar_list() -> None:
    out = io.StringIO()
    calendar_list_main(out, "zh", today_year=2026)
    assert "2027 年的节假日安排尚未载入" in out.getvalue()
