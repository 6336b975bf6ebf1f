"""督查通报: the bulletin of HQ's read model for a chosen period (and 批次), as a printable page and as .docx, .md or
.html downloads, all made from the same blocks by services/bulletin.py (the code path of `inspector hq report
bulletin`).

The page embeds the body of document.py's HTML, which is escaped markup with no script and no style attribute; its
<style> is left behind, since the console's Content-Security-Policy allows only the stylesheet file, where the
same print rules live under `.bulletin`. The .html download is document.py's whole file, for opening offline."""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from inspector.reports.document import Block, to_docx, to_html, to_markdown
from sync.hq.console.render import render, request_lang
from sync.hq.console.session import Svc, User
from sync.hq.console.words import WORDS
from sync.hq.services.bulletin import hq_bulletin, today_at_hq
from sync.hq.services.rounds import list_rounds

router = APIRouter()

WORDS.update(
    {
        "bulletin.title": ("督查通报", "Bulletin"),
        "bulletin.show": ("生成通报", "Show the bulletin"),
        "bulletin.print": ("打印", "Print"),
        "bulletin.docx": ("下载 Word", "Download .docx"),
        "bulletin.md": ("下载 Markdown", "Download .md"),
        "bulletin.html": ("下载 HTML", "Download .html"),
        "bulletin.hint": (
            "通报由总部读模型生成，与命令 inspector hq report bulletin 的结果一致。",
            "Made from HQ's read model, as the command inspector hq report bulletin makes it.",
        ),
    }
)

BODY = re.compile(r"<body>\n(.*)\n</body>", re.DOTALL)
MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}


def _period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    today = today_at_hq()
    start, end = date_from or today.replace(day=1), date_to or today
    return (start, end) if start <= end else (end, start)


def body_of(blocks: list[Block], title: str, lang: str) -> Markup:
    """The bulletin's body markup (document.py escapes every text it writes: safe to place as is)."""
    found = BODY.search(to_html(blocks, title, lang))
    return Markup(found.group(1) if found else "")


@router.get("/bulletin")
async def bulletin_page(
    request: Request,
    svc: Svc,
    who: User,
    date_from: date | None = None,
    date_to: date | None = None,
    batch: str = "",
) -> Response:
    start, end = _period(date_from, date_to)
    lang = request_lang(request, who)

    def load() -> tuple[Markup, list[str]]:
        blocks, title = hq_bulletin(svc.db, start, end, batch=batch.strip() or None, lang=lang)
        return body_of(blocks, title, lang), [r.name for r in list_rounds(svc.db)]

    body, rounds = await run_in_threadpool(load)
    return render(request, "bulletin.html", who, start=start, end=end, batch=batch.strip(), rounds=rounds, body=body)


@router.get("/bulletin/download")
async def bulletin_download(
    request: Request,
    svc: Svc,
    who: User,
    fmt: Literal["docx", "md", "html"] = "docx",
    date_from: date | None = None,
    date_to: date | None = None,
    batch: str = "",
) -> Response:
    start, end = _period(date_from, date_to)
    lang = request_lang(request, who)

    def make() -> bytes:
        blocks, title = hq_bulletin(svc.db, start, end, batch=batch.strip() or None, lang=lang)
        if fmt == "md":
            return to_markdown(blocks).encode("utf-8")
        if fmt == "html":
            return to_html(blocks, title, lang).encode("utf-8")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bulletin.docx"
            to_docx(blocks, path)
            return path.read_bytes()

    data = await run_in_threadpool(make)
    stem = f"bulletin-{start:%Y%m%d}-{end:%Y%m%d}"
    name = f"{WORDS('bulletin.title', lang)}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    disposition = f"attachment; filename=\"{stem}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})
