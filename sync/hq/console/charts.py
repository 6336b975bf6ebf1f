"""Charts as inline SVG, drawn on the server: a bar and line chart needs no chart library and no script, prints
as sharp as the text, and costs about a kilobyte. Every label is escaped; the numbers are formatted here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 520, 190
LEFT, RIGHT, TOP, BOTTOM = 40, 40, 12, 40


@dataclass(frozen=True, slots=True)
class Point:
    label: str  # under the x axis
    bar: float | None  # against the left axis
    line: float | None  # against the right axis


def _x(n: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + inner * (n + 0.5) / max(count, 1)


def _y(value: float, top: float) -> float:
    inner = HEIGHT - TOP - BOTTOM
    return TOP + inner * (1 - (value / top if top else 0))


def bars_and_line(points: Sequence[Point], *, bar_title: str, line_title: str, line_percent: bool = True) -> Markup:
    """Bars (e.g. open problems) against the left axis, a line (e.g. 得分率, 0-100 %) against the right."""
    count = len(points)
    bar_top = max([p.bar for p in points if p.bar is not None] or [1.0]) or 1.0
    slot = (WIDTH - LEFT - RIGHT) / max(count, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(bar_title)} / '
        f'{escape(line_title)}">',
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">{bar_top:g}</text>',
        f'<text x="{WIDTH - RIGHT + 4}" y="{TOP + 8}">{"100%" if line_percent else ""}</text>',
    ]
    for n, point in enumerate(points):
        x = _x(n, count)
        if point.bar is not None:
            y = _y(point.bar, bar_top)
            parts.append(
                f'<rect class="bar" x="{x - slot * 0.3:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" '
                f'height="{HEIGHT - BOTTOM - y:.1f}"><title>{escape(point.label)}: {point.bar:g}</title></rect>'
            )
        if n % 2 == 0 or count <= 8:
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{escape(point.label)}</text>'
            )
    line = [(n, p.line) for n, p in enumerate(points) if p.line is not None]
    if line:
        scale = 1.0 if line_percent else max(v for _, v in line) or 1.0
        path = " ".join(
            f"{'M' if k == 0 else 'L'}{_x(n, count):.1f},{_y(v, scale):.1f}" for k, (n, v) in enumerate(line)
        )
        parts.append(f'<path class="line" d="{path}"/>')
        for n, v in line:
            shown = f"{v * 100:.1f}%" if line_percent else f"{v:g}"
            parts.append(
                f'<circle cx="{_x(n, count):.1f}" cy="{_y(v, scale):.1f}" r="3" fill="currentColor">'
                f"<title>{escape(points[n].label)}: {shown}</title></circle>"
            )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 4}" class="legend">▮ {escape(bar_title)}　— {escape(line_title)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))
