"""A report as a few kinds of blocks, written out as Markdown, printable HTML or a Word (.docx) file.

The bulletin and the 整改通知书 are built once as blocks, so the three formats say the same thing and hold the same
tables: a test reads a .docx back and finds the rows the Markdown shows. The HTML is plain escaped markup with a
print style sheet (A4, 宋体, ruled tables): no template engine. python-docx is imported only when a .docx is written.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "FORMATS",
    "Block",
    "Heading",
    "Image",
    "Lines",
    "PageBreak",
    "Para",
    "Table",
    "format_for",
    "to_docx",
    "to_html",
    "to_markdown",
]

FORMATS = ("md", "html", "docx")


@dataclass(frozen=True, slots=True)
class Heading:
    level: int  # 1 the title, 2 a section, 3 and 4 the groups inside one
    text: str


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    align: str = ""  # "", "center" or "right" (the 期号 under a title, the signature)
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Lines:
    """Lines printed one under the other, each already numbered or marked as its text says."""

    lines: Sequence[str]


@dataclass(frozen=True, slots=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: frozenset[int] = field(default_factory=frozenset)  # right-aligned columns (0-based)


@dataclass(frozen=True, slots=True)
class Image:
    path: Path
    caption: str = ""


@dataclass(frozen=True, slots=True)
class PageBreak:
    """A new page (the 回执 a unit tears off and sends back); a rule in Markdown."""


Block = Heading | Para | Lines | Table | Image | PageBreak


def format_for(output: Path | None, fmt: str | None) -> str | None:
    """The format asked for (`--format`), else the output's suffix, else Markdown; None for an unknown suffix."""
    if fmt:
        return fmt if fmt in FORMATS else None
    if output is None or not output.suffix:
        return "md"
    suffix = output.suffix.lower().lstrip(".")
    suffix = {"markdown": "md", "htm": "html"}.get(suffix, suffix)
    return suffix if suffix in FORMATS else None


# markdown -------------------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """Table-safe: a `|` or a line break inside a cell would break the Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + block.text)
        elif isinstance(block, Para):
            out.append(f"**{block.text}**" if block.bold else block.text)
        elif isinstance(block, Lines):
            out.append("\n".join(block.lines))
        elif isinstance(block, Table):
            align = ["---:" if n in block.numeric else "---" for n in range(len(block.header))]
            rows = [block.header, align, *block.rows]
            out.append("\n".join("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows))
        elif isinstance(block, PageBreak):
            out.append("---")
        else:
            out.append(f"![{block.caption}]({block.path.as_posix()})")
    return "\n\n".join(out) + "\n"


# html -----------------------------------------------------------------------------------------------------------

_STYLE = """
@page { size: A4; margin: 2.2cm 2cm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 12pt; line-height: 1.7;
       max-width: 46em; margin: 1em auto; color: #000; }
h1 { font-size: 20pt; text-align: center; color: #c00; margin: 0.3em 0; }
h2 { font-size: 14pt; font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; margin: 1em 0 0.3em; }
h3, h4 { font-size: 12pt; margin: 0.8em 0 0.2em; }
p, .lines { margin: 0.3em 0; }
.center { text-align: center; } .right { text-align: right; }
table { border-collapse: collapse; width: 100%; margin: 0.4em 0; page-break-inside: auto; }
th, td { border: 1px solid #000; padding: 2px 6px; vertical-align: top; }
th { background: #eee; } td.n { text-align: right; }
tr { page-break-inside: avoid; }
img { max-width: 8cm; max-height: 6cm; }
.page-break { page-break-before: always; break-before: page; }
@media screen { .page-break { border-top: 1px dashed #999; margin: 2em 0; } }
""".strip()


def to_html(blocks: Sequence[Block], title: str, lang: str = "zh") -> str:
    esc = html.escape
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{esc(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            css = f' class="{block.align}"' if block.align else ""
            text = f"<strong>{esc(block.text)}</strong>" if block.bold else esc(block.text)
            body.append(f"<p{css}>{text}</p>")
        elif isinstance(block, Lines):
            body.append('<div class="lines">' + "<br>\n".join(esc(line) for line in block.lines) + "</div>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{esc(h)}</th>" for h in block.header)
            rows = []
            for row in block.rows:
                cells = "".join(
                    f'<td class="n">{esc(str(c))}</td>' if n in block.numeric else f"<td>{esc(str(c))}</td>"
                    for n, c in enumerate(row)
                )
                rows.append(f"<tr>{cells}</tr>")
            body.append(
                f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"
            )
        elif isinstance(block, PageBreak):
            body.append('<div class="page-break"></div>')
        else:
            caption = f"<figcaption>{esc(block.caption)}</figcaption>" if block.caption else ""
            body.append(
                f'<figure><img src="{esc(block.path.resolve().as_uri())}" alt="{esc(block.caption)}">{caption}</figure>'
            )
    code = "en" if lang == "en" else "zh-CN"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(title)}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


# docx -----------------------------------------------------------------------------------------------------------

TABLE_PT = 10.5  # 五号, the size tables in 通报 are set in
PAGE_CM = 16.0  # A4 less 2.5 cm margins
CM_PER_CELL = 0.21  # one display cell (half a Chinese character) at 10.5 pt, as LibreOffice and Word set it
PADDING_CM = 0.45  # a cell's left and right margins
LONG = 24  # display cells: a column whose widest text is longer wraps (a 条文, a description)
WIDEST = 40  # display cells a column may ask for: a 条文 of 300 asks no more than a description of 40
LONG_SHARE = 0.5  # of the page, the least the long columns get together when the short ones would take it all


def _display(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_shares(table: Table) -> list[float]:
    """Each column's share of the page width. A column asks for its widest text, never less than its header; when
    every ask fits the page, each gets it (the rest spread alike); when not, the long columns (a 条文, a
    description) get at least LONG_SHARE of the page between them and wrap, and the short ones (numbers, dates,
    names) share the rest by their asks. Equal columns wrap 「93.8%」 and 「东街社区」 while a 条文 runs down a page."""
    widest = []
    for n, name in enumerate(table.header):
        cells = [_display(str(row[n])) for row in table.rows if n < len(row)]
        widest.append(min(max([_display(str(name)), 4, *cells]), WIDEST))
    asks = [w * CM_PER_CELL + PADDING_CM for w in widest]
    long = [n for n, w in enumerate(widest) if w > LONG]
    if sum(asks) > PAGE_CM and long:
        short_asks = sum(a for n, a in enumerate(asks) if n not in long)
        long_asks = sum(asks[n] for n in long)
        long_room = max(PAGE_CM - short_asks, PAGE_CM * LONG_SHARE)
        short_room = PAGE_CM - long_room
        asks = [
            a * long_room / long_asks if n in long else a * min(1.0, short_room / short_asks) if short_asks else a
            for n, a in enumerate(asks)
        ]
    total = sum(asks)
    return [a / total for a in asks]


def to_docx(blocks: Sequence[Block], path: Path) -> None:
    """Write a Word file at `path` (the caller makes it atomic). Tables use the built-in "Table Grid" style, so they
    print ruled; Chinese text is set in 宋体 / 黑体 through the East Asian font slot Word reads for it."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.image.exceptions import UnrecognizedImageError
    from docx.oxml.ns import qn
    from docx.shared import Cm, Emu, Pt, RGBColor

    def east_asian(style_or_run: object, font: str) -> None:
        element = style_or_run.element  # type: ignore[attr-defined]
        rpr = element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), font)
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would win over the one named
        language = rpr.find(qn("w:lang"))
        if language is None:
            language = rpr.makeelement(qn("w:lang"), {})
            rpr.append(language)
        language.set(qn("w:eastAsia"), "zh-CN")  # Chinese line breaking and punctuation

    document = Document()
    section = document.sections[0]  # A4 with 2.5 cm sides, as Chinese offices print (the template is Letter)
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    usable = int(section.page_width) - int(section.left_margin) - int(section.right_margin)
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)
    east_asian(normal, "宋体")
    for level in (1, 2, 3, 4):
        style = document.styles[f"Heading {level}"]
        east_asian(style, "黑体")
        style.font.color.rgb = RGBColor(0xC0, 0, 0) if level == 1 else RGBColor(0, 0, 0)
    aligns = {"center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}
    for block in blocks:
        if isinstance(block, Heading):
            heading = document.add_heading(block.text, level=block.level)
            if block.level == 1:
                heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif isinstance(block, Para):
            paragraph = document.add_paragraph()
            paragraph.add_run(block.text).bold = block.bold or None
            if block.align in aligns:
                paragraph.alignment = aligns[block.align]
        elif isinstance(block, Lines):
            for line in block.lines:
                document.add_paragraph(line)
        elif isinstance(block, Table):
            table = document.add_table(rows=1, cols=len(block.header))
            table.style = "Table Grid"
            table.autofit = False
            widths = [Emu(int(usable * share)) for share in column_shares(block)]
            for column, width in zip(table.columns, widths, strict=True):
                column.width = width  # the grid LibreOffice reads
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = ""
                run = cell.paragraphs[0].add_run(str(text))
                run.bold, run.font.size = True, Pt(TABLE_PT)
            for row in block.rows:
                cells = table.add_row().cells
                for n, (cell, text) in enumerate(zip(cells, row, strict=True)):
                    cell.text = ""
                    cell.paragraphs[0].add_run(str(text)).font.size = Pt(TABLE_PT)
                    if n in block.numeric:
                        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for table_row in table.rows:
                for cell, width in zip(table_row.cells, widths, strict=True):
                    cell.width = width  # the cell widths Word reads
            document.add_paragraph()
        elif isinstance(block, PageBreak):
            document.add_page_break()  # type: ignore[no-untyped-call]
        else:
            try:
                document.add_picture(str(block.path), width=Cm(8))
            except (UnrecognizedImageError, OSError, ValueError):  # not an image it can read: name it, go on
                document.add_paragraph(f"[{block.path.name}]")
            if block.caption:
                document.add_paragraph(block.caption)
    document.save(str(path))
