"""Charts of papers per year, drawn as inline SVG at build time: no charting library, no script.

Each chart is an `<svg role="img">` with a title and a description that spells out every number,
so a screen reader gets the data, and the numbers are printed on the chart itself. Colours come
from the theme's CSS variables, so charts follow light and dark mode. Layouts are narrow enough
(about 340 px) to be read on a phone without scaling the text down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..models import AssignedPaper

CELL_W, CELL_H, GAP, LABEL_H = 46, 26, 4, 18
BAR_AREA_H, BAR_W = 110, 34


@dataclass(frozen=True)
class YearCounts:
    """Papers per year for one row of a chart, plus how many carry no date at all."""

    label: str
    by_year: Counter[int]
    undated: int

    @classmethod
    def of(cls, label: str, papers: Iterable[AssignedPaper]) -> YearCounts:
        dates = [p.paper.date for p in papers]
        return cls(label, Counter(d.year for d in dates if d), sum(1 for d in dates if d is None))

    def spoken(self, years: Sequence[int]) -> str:
        parts = [f"{year}: {self.by_year.get(year, 0)}" for year in years]
        if self.undated:
            parts.append(f"no date: {self.undated}")
        return f"{self.label} — " + ", ".join(parts)


def year_span(rows: Iterable[YearCounts]) -> list[int]:
    """Every year from the first to the last with a paper, gaps included (an empty year is data)."""
    years = [y for row in rows for y in row.by_year]
    return list(range(min(years), max(years) + 1)) if years else []


def topic_year_grid(rows: Sequence[YearCounts], chart_id: str, title: str) -> Markup:
    """A grid of topics by years: each topic a labelled row of cells, shaded and numbered by count."""
    years = year_span(rows)
    undated = any(r.undated for r in rows)
    columns = [str(y) for y in years] + (["no date"] if undated else [])
    width = max(len(columns) * (CELL_W + GAP), 200)
    peak = max((n for r in rows for n in r.by_year.values()), default=0)
    parts = [_header(columns)]
    y = LABEL_H + 6
    for row in rows:
        parts.append(f'<text class="label" x="0" y="{y + 13}">{escape(row.label)}</text>')
        y += LABEL_H
        for i, year in enumerate(years):
            parts.append(_cell(i * (CELL_W + GAP), y, row.by_year.get(year, 0), peak))
        if undated:
            parts.append(_cell(len(years) * (CELL_W + GAP), y, row.undated, peak, plain=True))
        y += CELL_H + GAP + 4
    desc = "Papers per year. " + "; ".join(r.spoken(years) for r in rows) + "."
    return _svg(chart_id, title, desc, width, y, "".join(parts))


def year_bars(row: YearCounts, years: Sequence[int], chart_id: str, title: str) -> Markup:
    """Bars of one topic's papers per year, with the count above each bar."""
    peak = max(row.by_year.values(), default=0)
    parts = []
    for i, year in enumerate(years):
        count = row.by_year.get(year, 0)
        height = round(BAR_AREA_H * count / peak) if peak else 0
        x = i * (BAR_W + GAP * 3)
        top = 18 + BAR_AREA_H - height
        parts.append(f'<rect class="bar" x="{x}" y="{top}" width="{BAR_W}" height="{height}"/>')
        parts.append(f'<text class="num" x="{x + BAR_W / 2}" y="{top - 4}">{count}</text>')
        parts.append(f'<text class="axis" x="{x + BAR_W / 2}" y="{18 + BAR_AREA_H + 16}">{year}</text>')
    width = max(len(years) * (BAR_W + GAP * 3), 200)
    desc = "Papers per year. " + row.spoken(years) + "."
    return _svg(chart_id, title, desc, width, 18 + BAR_AREA_H + 24, "".join(parts))


def _header(columns: Sequence[str]) -> str:
    return "".join(
        f'<text class="axis" x="{i * (CELL_W + GAP) + CELL_W / 2}" y="12">{escape(c)}</text>'
        for i, c in enumerate(columns)
    )


def _cell(x: int, y: int, count: int, peak: int, plain: bool = False) -> str:
    level = "plain" if plain else f"l{_level(count, peak)}"
    return (
        f'<rect class="cell {level}" x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" rx="3"/>'
        f'<text class="num {level}" x="{x + CELL_W / 2}" y="{y + 17}">{count}</text>'
    )


def _level(count: int, peak: int) -> int:
    """0 for none, then four shades; the darkest only for the busiest cells."""
    if count == 0 or peak == 0:
        return 0
    return 1 + min(3, int(4 * count / (peak + 1)))


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">'
        f'<title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>{body}</svg>'
    )
