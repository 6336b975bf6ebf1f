"""The 督查通报 of HQ's read model: the laptop's bulletin code (inspector/reports/bulletin.py) reading HqSource, with
days counted in China's time. `inspector hq report bulletin` and the console's 督查通报 page both ask here, so the
page, its downloads and the command print the same bulletin."""

from __future__ import annotations

from datetime import date, datetime

from inspector.core.ids import utcnow
from inspector.reports.document import Block
from sync.hq.db import Database
from sync.hq.services.readmodel import REPORT_TZ

__all__ = ["hq_bulletin", "today_at_hq"]


def today_at_hq(now: datetime | None = None) -> date:
    """Today as HQ counts days (China's time), whatever the server's own zone."""
    return (now or utcnow()).astimezone(REPORT_TZ).date()


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
    from inspector.reports.bulletin import BulletinOptions, bulletin_blocks, bulletin_title
    from sync.hq.services.report_source import HqSource

    lang = "en" if lang == "en" else "zh"
    blocks = bulletin_blocks(
        HqSource(db), date_from, date_to, today_at_hq(now), lang, BulletinOptions(), REPORT_TZ, batch
    )
    return blocks, bulletin_title(date_from, date_to, lang)
