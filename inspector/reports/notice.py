"""`inspector report notice`: the 整改通知书 a 创城办 sends one responsible unit, as .docx or printable HTML.

What it holds (domain.md §5.2: 编号, 被通知单位, 点位, 问题描述与照片, 依据条款, 整改要求, 整改期限, 通知人/日期,
签收 and a 整改回执): a number, the unit, each problem the unit still has to act on (点位, 存在问题, 依据条目, the
before-photos embedded when the photo is at hand, the deadline), the 整改要求 and a 回执 table to fill in and send back.

"Still has to act on": 已登记, 已交办, 整改中 and 挂账. A problem whose fix is submitted (待复查) or re-inspected as
fixed (待销号) waits for the reviewers, not the unit: it is counted in a note, not listed. Computed from facts, so
HQ can print the same notice; the photos come from the source's optional `photo_path(sha256)` (the laptop's store
has them; a source without the method, or without the file, gets the photo's name instead).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import TextIO

from checklists.i18n import Catalogue, Plural
from inspector.core.problems import OPEN_STATUSES, ProblemStatus, deadline_text
from inspector.reports import Filters, ReportData, ReportSource, ReportStore, SourceError, load_report_data
from inspector.reports.bulletin import write_document
from inspector.reports.document import Block, Heading, Image, Lines, PageBreak, Para, Table, format_for
from inspector.reports.export import photo_names
from inspector.reports.facts import ProblemFact, problem_number

__all__ = ["NOTICE", "build_notice", "notice_main", "notice_number", "notice_problems"]

# What the unit still has to act on; 待复查 and 待销号 wait for the reviewers.
WITH_REVIEWERS = frozenset({ProblemStatus.AWAITING_REVIEW, ProblemStatus.AWAITING_CLOSE})
TO_ACT_ON = OPEN_STATUSES - WITH_REVIEWERS

NOTICE = Catalogue(
    "notice",
    {
        "notice.title": ("整改通知书", "Rectification notice"),
        "notice.number": ("编号：{number}", "No. {number}"),
        "notice.to": ("{unit}：", "To: {unit}"),
        "notice.intro": (
            "经督查，你单位负责整改的以下问题尚未整改到位（共 {count} 个），现予交办，请按要求限期整改。",
            "The inspections found the following problems, for which your unit is responsible, not yet rectified "
            "({count} in all). Please rectify them within the deadlines.",
        ),
        "notice.period": ("（{start} 至 {end} 发现的问题）", "(problems found {start} to {end})"),
        "notice.awaiting": (
            "另有 {count} 个问题已提交整改、待复查或待销号，未列入本通知书。",
            "{count} more problem(s) with a submitted fix await re-inspection or closure and are not listed.",
        ),
        "notice.list": ("一、问题清单", "1. Problems"),
        "notice.head": (
            "序号|问题编号|点位|存在问题|依据条目|整改时限|状态",
            "No.|Problem no.|Site|Problem|Checklist item|Deadline|Status",
        ),
        "notice.deadline": ("{rule}，{due} 前", "{rule}, by {due}"),
        "notice.overdue": (
            "（已逾期 {late} 天）",
            Plural(" ({late} day overdue)", " ({late} days overdue)", count="late"),
        ),
        "notice.photos": ("二、整改前照片", "2. Before-photos"),
        "notice.photo_caption": ("{number} {site}：整改前", "{number} {site}: before"),
        "notice.photo_missing": (
            "{number} {site}：整改前照片 {names}（本机没有照片文件）",
            "{number} {site}: before-photos {names} (the files are not on this computer)",
        ),
        "notice.no_photos": ("无整改前照片。", "No before-photos."),
        "notice.requirements": ("三、整改要求", "3. Requirements"),
        "notice.requirements_text": (
            "请你单位接到本通知书后，立即组织对上述问题逐条整改：能立行立改的立即整改，其余在各问题的整改时限内"
            "完成，全部问题最迟于 {close_by} 前整改到位。整改完成后在平台提交整改情况和整改后照片（与整改前同一位置、"
            "同一角度），并填写下方回执，加盖公章后报送。逾期未整改或整改后反弹的，将在督查通报中点名。",
            "On receiving this notice, rectify the problems above one by one: on the spot where possible, otherwise "
            "within each deadline, and all of them by {close_by} at the latest. Then submit the rectification and "
            "after-photos (same place, same angle as before) and return the receipt below, stamped. Problems left "
            "overdue or that come back will be named in the bulletin.",
        ),
        "notice.signature": ("{issuer}", "{issuer}"),
        "notice.receipt": ("整改回执", "Receipt"),
        "notice.receipt_to": (
            "（由 {unit} 填写，整改完成后报送；编号 {number}）",
            "(to be filled in by {unit} and returned when done; notice {number})",
        ),
        "notice.receipt_head": (
            "序号|问题编号|点位|整改措施及完成情况|完成时间|整改后照片（张）",
            "No.|Problem no.|Site|What was done|Done on|After-photos",
        ),
        "notice.sign": (
            "签收人：__________  签收时间：____年__月__日    整改负责人：__________  联系电话：__________",
            "Received by: __________  on: __________    Responsible: __________  Phone: __________",
        ),
        "notice.stamp": ("（单位盖章）    ____年__月__日", "(stamp)    date: __________"),
        "notice.bad_date": (
            "日期格式不对：{value}（应为 YYYY-MM-DD）",
            "not a date: {value} (expected YYYY-MM-DD)",
        ),
        "notice.bad_format": (
            "整改通知书只能写成 .docx 或 .html：{value}",
            "a notice is written as .docx or .html: {value}",
        ),
        "notice.none": (
            "责任单位“{unit}”没有待整改的问题，未生成通知书。",
            "the responsible unit “{unit}” has no problems to rectify: no notice written.",
        ),
        "notice.known": ("有待整改问题的责任单位：{units}", "units with problems to rectify: {units}"),
        "notice.store": ("无法读取本地数据：{reason}", "cannot read the local data: {reason}"),
        "notice.list_sep": ("、", ", "),
    },
)


def _t(key: str, lang: str, **values: object) -> str:
    return NOTICE(key, lang, **values)


def notice_number(unit: str, today: date) -> str:
    """整改通知书's number: ZG (整改), the day, 4 characters of the unit's name hashed: stable for one unit and day."""
    tail = hashlib.sha256(unit.encode()).hexdigest()[:4].upper()
    return f"ZG-{today:%Y%m%d}-{tail}"


def notice_problems(data: ReportData, unit: str) -> tuple[list[ProblemFact], int]:
    """(the unit's problems to act on, by site then due day; how many of its problems wait for the reviewers)."""
    mine = [p for p in data.problems if p.responsible_unit == unit]
    listed = [p for p in mine if p.status in TO_ACT_ON]
    listed.sort(key=lambda p: (data.site_name(p.site_id), p.due, p.found_at, p.id))
    return listed, sum(1 for p in mine if p.status in WITH_REVIEWERS)


PhotoPath = Callable[[str], Path | None]


def build_notice(
    data: ReportData,
    unit: str,
    today: date,
    lang: str = "zh",
    *,
    number: str | None = None,
    issuer: str = "",
    close_by: date | None = None,
    period: tuple[date | None, date | None] = (None, None),
    photo_path: PhotoPath | None = None,
) -> list[Block]:
    lang = "en" if lang == "en" else "zh"
    number = number or notice_number(unit, today)
    problems, awaiting = notice_problems(data, unit)
    # The latest deadline, but never one already past: overdue problems get three more days, not a date gone by.
    close_by = close_by or max([*(p.due for p in problems), today + timedelta(days=3)])
    blocks: list[Block] = [
        Heading(1, _t("notice.title", lang)),
        Para(_t("notice.number", lang, number=number), align="right"),
        Para(_t("notice.to", lang, unit=unit), bold=True),
        Para(_t("notice.intro", lang, count=len(problems))),
    ]
    if period != (None, None):
        start, end = period
        blocks.append(Para(_t("notice.period", lang, start=start or "…", end=end or today)))
    if awaiting:
        blocks.append(Para(_t("notice.awaiting", lang, count=awaiting)))
    rows = []
    for n, p in enumerate(problems, start=1):
        due = _t("notice.deadline", lang, rule=deadline_text(p.deadline, lang), due=p.due)
        basis = f"{p.item_code} {' '.join(p.item_text.split())}".strip()
        rows.append(
            [
                str(n),
                problem_number(p),
                data.site_name(p.site_id),
                " ".join(p.description.split()),
                basis,
                due,
                p.status.label(lang)
                + (_t("notice.overdue", lang, late=late) if (late := p.overdue_days(today)) else ""),
            ]
        )
    blocks += [Heading(2, _t("notice.list", lang)), Table(NOTICE("notice.head", lang).split("|"), rows, frozenset({0}))]
    blocks.append(Heading(2, _t("notice.photos", lang)))
    photos: list[Block] = []
    for p in problems:
        site = data.site_name(p.site_id)
        missing = []
        for sha in p.photo_ids:
            path = photo_path(sha) if photo_path else None
            if path is not None:
                photos.append(Image(path, _t("notice.photo_caption", lang, number=problem_number(p), site=site)))
            else:
                missing.append(sha)
        if missing:
            names = _t("notice.list_sep", lang).join(photo_names(missing))
            photos.append(Para(_t("notice.photo_missing", lang, number=problem_number(p), site=site, names=names)))
    blocks += photos or [Para(_t("notice.no_photos", lang))]
    blocks += [
        Heading(2, _t("notice.requirements", lang)),
        Para(_t("notice.requirements_text", lang, close_by=close_by)),
    ]
    if issuer:
        blocks.append(Para(_t("notice.signature", lang, issuer=issuer), align="right"))
    blocks.append(Para(today.isoformat(), align="right"))
    receipt_rows = [
        [str(n), problem_number(p), data.site_name(p.site_id), "", "", ""] for n, p in enumerate(problems, 1)
    ]
    blocks += [
        PageBreak(),
        Heading(2, _t("notice.receipt", lang)),
        Para(_t("notice.receipt_to", lang, unit=unit, number=number)),
        Table(NOTICE("notice.receipt_head", lang).split("|"), receipt_rows, frozenset({0})),
        Lines([_t("notice.sign", lang), _t("notice.stamp", lang)]),
    ]
    return blocks


def _parse(value: date | str | None, lang: str) -> date | str | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return _t("notice.bad_date", lang, value=repr(value))


def _photo_path_of(source: ReportSource) -> PhotoPath | None:
    method = getattr(source, "photo_path", None)
    return method if callable(method) else None


def notice_main(
    store: ReportStore | ReportSource,
    unit: str,
    output: Path,
    out: TextIO,
    err: TextIO,
    lang: str = "zh",
    today: date | None = None,
    tz: tzinfo | None = None,
    *,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    fmt: str | None = None,
    number: str | None = None,
    issuer: str = "",
    close_by: date | str | None = None,
) -> int:
    """Write the unit's notice to `output` (.docx or .html); 1 with a message when there is nothing to notify, or the
    dates, the format or the file are wrong."""
    lang = "en" if lang == "en" else "zh"
    parsed = [_parse(v, lang) for v in (date_from, date_to, close_by)]
    wrong = [p for p in parsed if isinstance(p, str)]
    if wrong:
        err.write("\n".join(wrong) + "\n")
        return 1
    start, end, deadline = (p if isinstance(p, date) else None for p in parsed)
    chosen = format_for(output, fmt)
    if chosen not in ("docx", "html"):
        err.write(_t("notice.bad_format", lang, value=fmt or output.suffix or output.name) + "\n")
        return 1
    today = today or date.today()
    try:
        data = load_report_data(store, tz, Filters(date_from=start, date_to=end, unit=unit))
        problems, _ = notice_problems(data, unit)
        if not problems:
            err.write(_t("notice.none", lang, unit=unit) + "\n")
            every = load_report_data(data.source, tz, Filters(date_from=start, date_to=end))
            units = sorted({p.responsible_unit for p in every.problems if p.status in TO_ACT_ON and p.responsible_unit})
            if units:
                err.write(_t("notice.known", lang, units=_t("notice.list_sep", lang).join(units)) + "\n")
            return 1
        blocks = build_notice(
            data,
            unit,
            today,
            lang,
            number=number,
            issuer=issuer,
            close_by=deadline,
            period=(start, end),
            photo_path=_photo_path_of(data.source),
        )
    except SourceError as exc:
        err.write(_t("notice.store", lang, reason=exc) + "\n")
        return 1
    return write_document(blocks, f"{_t('notice.title', lang)} {unit}", chosen, output, out, err, lang)
