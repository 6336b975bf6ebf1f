"""The 督查通报 of HQ's read model: the laptop's bulletin code (inspector/reports/bulletin.py) reading HqSource, with
days counted in China's time. `inspector hq report bulletin` and the console's 督查通报 page both ask here, so the
page, its downloads and the command print the same bulletin."""

from __future__ import annotations

from datetime import date, datetime

from inspector.core.ids import utcnow
from inspector.reports.bulletin import BulletinOptions
from inspector.reports.document import Block
from sync.hq.db import Database
from sync.hq.services.readmodel import REPORT_TZ

__all__ = ["hq_bulletin", "hq_options", "today_at_hq"]


def today_at_hq(now: datetime | None = None) -> date:
    """Today as HQ counts days (China's time), whatever the server's own zone."""
    return (now or utcnow()).astimezone(REPORT_TZ).date()


def hq_options(db: Database) -> BulletinOptions:
    """The bulletin's options as HQ's settings give them (期号, 发文单位, the 红黑榜 size and minimum), as `inspector hq
    report bulletin` takes them when its command line does not say. The console never moves the issue number on:
    only the command, writing a numbered issue to a file, does."""
    from inspector.reports.bulletin import ListRules
    from inspector.reports.settings import bulletin_defaults
    from sync.hq.services import settings

    chosen = bulletin_defaults(settings.values(db))
    rules = ListRules(size=chosen.list_size, min_inspections=chosen.min_inspections)
    return BulletinOptions(chosen.issue_no, chosen.issuer, rules)


def hq_bulletin(
    db: Database,
    date_from: date,
    date_to: date,
    *,
    batch: str | None = None,
    lang: str = "zh",
    now: datetime | None = None,
) -> tuple[list[Block], str]:
    """(the bulletin's blocks, its title). Raises SourceError when the read model cannot be read."""
    from inspector.reports.bulletin import bulletin_blocks, bulletin_title
    from sync.hq.services.report_source import HqSource

    lang = "en" if lang == "en" else "zh"
    blocks = bulletin_blocks(HqSource(db), date_from, date_to, today_at_hq(now), lang, hq_options(db), REPORT_TZ, batch)
    return blocks, bulletin_title(date_from, date_to, lang)
