"""`inspector report bulletin`: the periodic 督查通报 as Markdown, in the shape the offices publish.

What a 通报 says, in order: how many sites were inspected, problems found / rectified / overdue ("共发现并交办问题
57 个，截至 10 月 10 日整改问题 28 个，未整改问题 29 个"), communities ranked by 得分率 with a 红榜 and a 黑榜
(焦作 红黑榜), and the overdue problems named by responsible unit, so that the lagging units are called out.

Counting rules:
- An inspection counts for the period by its local submission date; drafts never count.
- 得分率 per community pools every submitted inspection of its sites in the period: 符合 / (符合 + 不符合).
  Communities with nothing scorable are listed after the ranking, not ranked.
- Problems "found" are those found in the period, 作废 excluded; rectified means closed (已销号) by `today`.
- 反弹 counts the reopen events dated in the period.
- The overdue list is everything overdue on `today`, found in this period or earlier: those are the ones to chase.
- 红榜 / 黑榜 take the top and bottom min(3, n // 2) communities, so no community is on both lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue, Plural
from inspector.core.problems import ProblemStatus, deadline_text
from inspector.core.records import Severity
from inspector.reports import (
    Filters,
    OutputError,
    ReportData,
    ReportSource,
    ReportStore,
    SourceError,
    Tally,
    load_report_data,
)
from inspector.reports import write_atomically as _write
from inspector.reports.facts import ProblemFact

__all__ = ["BULLETIN", "CommunityScore", "bulletin_main", "community_ranking", "render_bulletin"]


@dataclass(slots=True)
class CommunityScore:
    community: str
    street: str
    sites: set[str] = field(default_factory=set)
    counts: Tally = field(default_factory=Tally)
    failures: list[str] = field(default_factory=list)  # problem wordings, for the 黑榜
    rank: int = 0


def _cell(text: str) -> str:
    """Table-safe: a `|` or a line break inside a cell would break the Markdown table."""
    return " ".join(text.split()).replace("|", "\\|")


def _in_period(day: date, date_from: date, date_to: date) -> bool:
    return date_from <= day <= date_to


def community_ranking(
    data: ReportData, date_from: date, date_to: date, lang: str = "zh"
) -> tuple[list[CommunityScore], list[CommunityScore]]:
    """(ranked, unscorable): ranked by 得分率 high to low, ties sharing a rank (1, 2, 2, 4) and ordered by name."""
    groups: dict[str, CommunityScore] = {}
    for inspection in data.inspections:
        if not inspection.submitted or not _in_period(inspection.day, date_from, date_to):
            continue
        site = data.sites.get(inspection.site_id)
        name = (site.community if site else "") or BULLETIN("bulletin.no_community", lang)
        group = groups.setdefault(name, CommunityScore(name, site.street if site else ""))
        group.sites.add(inspection.site_id)
        group.counts = group.counts + inspection.counts
    for problem in data.problems:
        site = data.sites.get(problem.site_id)
        name = (site.community if site else "") or BULLETIN("bulletin.no_community", lang)
        if (
            name in groups
            and problem.status is not ProblemStatus.VOID
            and _in_period(problem.found_on, date_from, date_to)
        ):
            groups[name].failures.append(problem.description)
    scorable = [g for g in groups.values() if g.counts.rate is not None]
    unscorable = sorted((g for g in groups.values() if g.counts.rate is None), key=lambda g: g.community)
    scorable.sort(key=lambda g: (-(g.counts.rate or 0.0), g.community))
    for position, group in enumerate(scorable, start=1):
        previous = scorable[position - 2] if position > 1 else None
        tied = previous is not None and previous.counts.rate == group.counts.rate
        group.rank = previous.rank if tied and previous is not None else position
    return scorable, unscorable


@dataclass(frozen=True, slots=True)
class _Summary:
    sites: int
    inspections: int
    found: list[ProblemFact]
    major: int
    rectified: int
    open: int
    overdue: int
    void: int
    reopened: int


def _summary(data: ReportData, date_from: date, date_to: date, today: date) -> _Summary:
    inspections = [i for i in data.inspections if i.submitted and _in_period(i.day, date_from, date_to)]
    in_period = [p for p in data.problems if _in_period(p.found_on, date_from, date_to)]
    found = [p for p in in_period if p.status is not ProblemStatus.VOID]
    reopened = sum(1 for p in data.problems for day in p.reopened_on if _in_period(day, date_from, date_to))
    closed = sum(1 for p in found if p.status is ProblemStatus.CLOSED)
    return _Summary(
        sites=len({i.site_id for i in inspections}),
        inspections=len(inspections),
        found=found,
        major=sum(1 for p in found if p.severity is Severity.MAJOR),
        rectified=closed,
        open=len(found) - closed,
        overdue=sum(1 for p in found if p.overdue_days(today) > 0),
        void=len(in_period) - len(found),
        reopened=reopened,
    )


BULLETIN = Catalogue(
    "bulletin",
    {
        "bulletin.title": ("# 督查通报（{start} 至 {end}）", "# Inspection bulletin ({start} to {end})"),
        "bulletin.as_of": ("统计截至 {today}。", "Figures as of {today}."),
        "bulletin.overview": ("## 一、总体情况", "## 1. Overview"),
        "bulletin.sites": (
            "- 检查点位 {sites} 个，检查 {inspections} 次。",
            Plural(
                "- Sites inspected: {sites} ({inspections} inspection).",
                "- Sites inspected: {sites} ({inspections} inspections).",
                count="inspections",
            ),
        ),
        "bulletin.found": (
            "- 发现问题 {found} 个（严重 {major} 个，一般 {minor} 个）。",
            "- Problems found: {found} ({major} major, {minor} minor).",
        ),
        "bulletin.progress": (
            "- 截至 {today}，已整改销号 {rectified} 个，未整改 {open} 个，其中逾期 {overdue} 个。",
            "- By {today}: {rectified} rectified and closed, {open} open, of which {overdue} overdue.",
        ),
        "bulletin.reopened": (
            "- 反弹（回头看发现问题复发）{reopened} 个。",
            "- Reopened (came back after closing): {reopened}.",
        ),
        "bulletin.void": (
            "- 作废（误报、不立案）{void} 个，未计入。",
            "- Void (misjudged or not accepted): {void}, not counted.",
        ),
        "bulletin.ranking": ("## 二、社区得分率排名", "## 2. Communities by score rate"),
        "bulletin.ranking_head": (
            "| 排名 | 社区 | 街道 | 检查点位 | 符合 | 不符合 | 得分率 |",
            "| Rank | Community | Street | Sites | Pass | Fail | Score rate |",
        ),
        "bulletin.no_ranking": ("本期没有可计分的检查。", "No scorable inspections in this period."),
        "bulletin.unscorable": (
            "以下社区本期没有可计分条目，未参加排名：{names}。",
            "Not ranked (nothing scorable in this period): {names}.",
        ),
        "bulletin.red": ("## 三、红榜", "## 3. Red list"),
        "bulletin.black": ("## 四、黑榜", "## 4. Black list"),
        "bulletin.too_few": (
            "参评社区不足 2 个，本期不设红黑榜。",
            "Fewer than 2 communities were scored: no red or black list this period.",
        ),
        "bulletin.red_line": (
            "{n}. {community}（{street}）：得分率 {rate}",
            "{n}. {community} ({street}): score rate {rate}",
        ),
        "bulletin.black_line": (
            "{n}. {community}（{street}）：得分率 {rate}，发现问题 {count} 个",
            Plural(
                "{n}. {community} ({street}): score rate {rate}, {count} problem found",
                "{n}. {community} ({street}): score rate {rate}, {count} problems found",
                count="count",
            ),
        ),
        "bulletin.black_examples": ("主要问题：{examples}", "Main problems: {examples}"),
        "bulletin.overdue": (
            "## 五、逾期未整改问题（截至 {today}，按责任单位）",
            "## 5. Overdue problems (as of {today}, by responsible unit)",
        ),
        "bulletin.no_overdue": ("无逾期未整改问题。", "No overdue problems."),
        "bulletin.unit": ("### {unit}（{count} 个）", "### {unit} ({count})"),
        "bulletin.overdue_line": (
            "{n}. {site}：{problem}（{rule}，应于 {due} 前完成，已逾期 {late} 天，{status}）",
            Plural(
                "{n}. {site}: {problem} ({rule}, due {due}, {late} day overdue, {status})",
                "{n}. {site}: {problem} ({rule}, due {due}, {late} days overdue, {status})",
                count="late",
            ),
        ),
        "bulletin.sep": ("；", "; "),
        "bulletin.no_community": ("（未填社区）", "(no community)"),
        "bulletin.no_unit": ("（未指定责任单位）", "(no responsible unit)"),
        "bulletin.bad_date": (
            "日期格式不对：{value}（应为 YYYY-MM-DD，例如 2026-05-01）",
            "not a date: {value} (expected YYYY-MM-DD, e.g. 2026-05-01)",
        ),
        "bulletin.reversed": (
            "开始日期 {start} 晚于结束日期 {end}（--from 应不晚于 --to）",
            "--from {start} is after --to {end}",
        ),
        "bulletin.store": ("无法读取本地数据：{reason}", "cannot read the local data: {reason}"),
        "bulletin.failed": ("无法写入 {output}：{reason}", "cannot write {output}: {reason}"),
        "bulletin.written": ("已写入：{output}", "written: {output}"),
    },
)


def render_bulletin(data: ReportData, date_from: date, date_to: date, today: date, lang: str = "zh") -> str:
    """The whole bulletin as Markdown text."""
    lang = "en" if lang == "en" else "zh"
    summary = _summary(data, date_from, date_to, today)
    lines = [
        BULLETIN("bulletin.title", lang, start=date_from.isoformat(), end=date_to.isoformat()),
        "",
        BULLETIN("bulletin.as_of", lang, today=today.isoformat()),
        "",
        BULLETIN("bulletin.overview", lang),
        "",
        BULLETIN("bulletin.sites", lang, sites=summary.sites, inspections=summary.inspections),
        BULLETIN(
            "bulletin.found",
            lang,
            found=len(summary.found),
            major=summary.major,
            minor=len(summary.found) - summary.major,
        ),
        BULLETIN(
            "bulletin.progress",
            lang,
            today=today.isoformat(),
            rectified=summary.rectified,
            open=summary.open,
            overdue=summary.overdue,
        ),
    ]
    if summary.reopened:
        lines.append(BULLETIN("bulletin.reopened", lang, reopened=summary.reopened))
    if summary.void:
        lines.append(BULLETIN("bulletin.void", lang, void=summary.void))
    ranked, unscorable = community_ranking(data, date_from, date_to, lang)
    lines += ["", BULLETIN("bulletin.ranking", lang), ""]
    if ranked:
        lines += [BULLETIN("bulletin.ranking_head", lang), "|---:|---|---|---:|---:|---:|---:|"]
        lines += [
            f"| {g.rank} | {_cell(g.community)} | {_cell(g.street)} | {len(g.sites)} | {g.counts.passed} "
            f"| {g.counts.failed} | {g.counts.rate_text()} |"
            for g in ranked
        ]
    else:
        lines.append(BULLETIN("bulletin.no_ranking", lang))
    if unscorable:
        names = BULLETIN("bulletin.sep", lang).join(g.community for g in unscorable)
        lines += ["", BULLETIN("bulletin.unscorable", lang, names=names)]
    lines += _red_black(ranked, lang)
    lines += _overdue_section(data, today, lang)
    return "\n".join(lines) + "\n"


def _red_black(ranked: Sequence[CommunityScore], lang: str) -> list[str]:
    size = min(3, len(ranked) // 2)
    if size == 0:
        return [
            "",
            BULLETIN("bulletin.red", lang),
            "",
            BULLETIN("bulletin.too_few", lang),
            "",
            BULLETIN("bulletin.black", lang),
            "",
            BULLETIN("bulletin.too_few", lang),
        ]
    lines = ["", BULLETIN("bulletin.red", lang), ""]
    for n, group in enumerate(ranked[:size], start=1):
        rate = group.counts.rate_text()
        lines.append(
            BULLETIN("bulletin.red_line", lang, n=n, community=group.community, street=group.street or "—", rate=rate)
        )
    lines += ["", BULLETIN("bulletin.black", lang), ""]
    for n, group in enumerate(reversed(ranked[-size:]), start=1):
        lines.append(
            BULLETIN(
                "bulletin.black_line",
                lang,
                n=n,
                community=group.community,
                street=group.street or "—",
                rate=group.counts.rate_text(),
                count=len(group.failures),
            )
        )
        if group.failures:
            examples = BULLETIN("bulletin.sep", lang).join(group.failures[:3])
            lines.append("   " + BULLETIN("bulletin.black_examples", lang, examples=examples))
    return lines


def _overdue_section(data: ReportData, today: date, lang: str) -> list[str]:
    lines = ["", BULLETIN("bulletin.overdue", lang, today=today.isoformat()), ""]
    by_unit: dict[str, list[ProblemFact]] = {}
    for problem in data.problems:
        if problem.overdue_days(today) > 0:
            by_unit.setdefault(problem.responsible_unit or BULLETIN("bulletin.no_unit", lang), []).append(problem)
    if not by_unit:
        return [*lines, BULLETIN("bulletin.no_overdue", lang)]
    # The units with the most overdue problems first: that is whom the bulletin is for.
    for unit, problems in sorted(by_unit.items(), key=lambda pair: (-len(pair[1]), pair[0])):
        lines += [BULLETIN("bulletin.unit", lang, unit=unit, count=len(problems)), ""]
        problems.sort(key=lambda p: (p.due, data.site_name(p.site_id), p.item_code))
        for n, problem in enumerate(problems, start=1):
            lines.append(
                BULLETIN(
                    "bulletin.overdue_line",
                    lang,
                    n=n,
                    site=data.site_name(problem.site_id),
                    problem=" ".join(problem.description.split()),
                    rule=deadline_text(problem.deadline, lang),
                    due=problem.due.isoformat(),
                    late=problem.overdue_days(today),
                    status=problem.status.label(lang),
                )
            )
        lines.append("")
    return lines[:-1]


def _parse_date(value: date | str, lang: str) -> date | str:
    """The date, or the message explaining what is wrong with it."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return BULLETIN("bulletin.bad_date", lang, value=repr(value))


def bulletin_main(
    store: ReportStore | ReportSource,
    date_from: date | str,
    date_to: date | str,
    output: Path | None,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    today: date | None = None,
    tz: tzinfo | None = None,
    batch: str | None = None,
) -> int:
    """Write the bulletin to `output` (or `out`); 1 with a clear message for bad dates or an unwritable file."""
    start, end = _parse_date(date_from, lang), _parse_date(date_to, lang)
    if isinstance(start, str) or isinstance(end, str):
        err.write("\n".join(p for p in (start, end) if isinstance(p, str)) + "\n")
        return 1
    if start > end:
        err.write(BULLETIN("bulletin.reversed", lang, start=start, end=end) + "\n")
        return 1
    try:
        data = load_report_data(store, tz, Filters(batch=batch))
    except SourceError as exc:
        err.write(BULLETIN("bulletin.store", lang, reason=exc) + "\n")
        return 1
    markdown = render_bulletin(data, start, end, today or date.today(), lang)
    if output is None:
        out.write(markdown)
        return 0
    try:
        _write(output, lambda target: target.write_text(markdown, encoding="utf-8"))
    except OutputError as exc:
        reason = exc.cause.strerror or exc.cause
        err.write(BULLETIN("bulletin.failed", lang, output=output, reason=reason) + "\n")
        return 1
    out.write(BULLETIN("bulletin.written", lang, output=output) + "\n")
    return 0
