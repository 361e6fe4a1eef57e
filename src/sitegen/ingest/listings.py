"""Parse one raw Hugging Face "Daily Papers" listing into `RawPaper`s.

The listings are copy-pastes of a web page, so they come in several layouts:
  * title and abstract as paragraphs separated by blank lines;
  * no blank lines at all, with the page's "Subscribe" button glued to the first title;
  * entries followed by a metadata block: "• N authors" or an organisation line, "·", and a
    date ("May 24, 2021", or "Sep 28" in the year of capture) optionally followed by upvotes.
Page chrome (the "Get trending papers…" banner, "Subscribe", "Daily Papers", "new", the bare
capture date) is never a paper. A line that fits nowhere becomes a warning with file and line.
The parser reads lines as a small state machine, so every layout goes through one code path.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, counted
from ..models import RawPaper, SourceRef
from ..textnorm import clean_text, latex_to_text

CHROME_LINES = {
    "new",
    "subscribe",
    "daily papers",
    "byak and the research community",
    "by ak and the research community",
}
_BANNER = re.compile(r"^get trending papers in your email inbox\b.*$", re.IGNORECASE)
_GLUED_SUBSCRIBE = re.compile(r"^Subscribe(?=\S)(.+)$")
_AUTHORS = re.compile(r"^[•·*-]?\s*(\d+)\s+authors?$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[·•]$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
_DATE = re.compile(
    r"^(?:published on\s+)?(?P<month>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})"
    r"(?:,\s*(?P<year>\d{4}))?(?:\s+(?P<upvotes>\d+))?$",
    re.IGNORECASE,
)
_UPVOTES = re.compile(r"^\d+$")
MAX_TITLE_CHARS = 300


@dataclass(frozen=True)
class PartialDate:
    """A date as shown in a listing: the year is missing for dates in the year of capture."""

    month: int
    day: int
    year: int | None
    line: int


@dataclass
class _Entry:
    title: str
    line: int
    abstract_parts: list[str] = field(default_factory=list)
    authors_count: int | None = None
    organization: str | None = None
    date: PartialDate | None = None
    upvotes: int | None = None
    has_metadata: bool = False


@dataclass(frozen=True)
class Listing:
    """What one listing holds: its entries, the capture date it shows, and any warnings."""

    papers: tuple[RawPaper, ...]
    captured: dt.date | None
    problems: tuple[Problem, ...]


def parse_listing(text: str, path: Path, captured: dt.date | None = None) -> Listing:
    """Parse a listing's text. `captured` (from site.yaml) gives the year of year-less dates."""
    reader = _ListingReader(path)
    lines = [clean_text(raw) for raw in text.splitlines()]  # control characters read as blanks
    for number, (line, next_text) in enumerate(zip(lines, _next_texts(lines), strict=True), start=1):
        reader.feed(line, number, next_text)
    entries = reader.finish()
    capture_day = reader.capture_day
    year, problems = _capture_year(entries, capture_day, captured, path)
    papers = tuple(_to_raw_paper(e, path, year, capture_day, problems) for e in entries)
    for paper in papers:
        if not paper.title:
            problems.append(
                Problem(path, paper.source.line, "a title with no readable text", "fix or remove the line")
            )
    papers = tuple(p for p in papers if p.title)
    capture = _capture_date(capture_day, year)
    return Listing(papers, capture, tuple(reader.problems + problems))


def _next_texts(lines: list[str]) -> list[str | None]:
    """For each line, the next non-blank line after it (None after the last): one line of
    look-ahead, found in one pass from the end."""
    following: list[str | None] = []
    upcoming: str | None = None
    for line in reversed(lines):
        following.append(upcoming)
        if line:
            upcoming = line
    following.reverse()
    return following


class _ListingReader:
    """Reads lines one at a time; knows whether it expects a title, an abstract or metadata."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: list[_Entry] = []
        self.problems: list[Problem] = []
        self.capture_day: PartialDate | None = None
        self.expect_abstract = False

    @property
    def current(self) -> _Entry | None:
        return self.entries[-1] if self.entries else None

    def warn(self, line: int, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, line, message, hint))

    def feed(self, text: str, line: int, next_text: str | None) -> None:
        if not text or self._is_chrome(text):
            return
        if not self.entries:
            glued = _GLUED_SUBSCRIBE.match(text)
            if glued:
                text = glued.group(1).strip()
        if self._read_metadata(text, line, next_text):
            return
        self._read_text(text, line)

    def _is_chrome(self, text: str) -> bool:
        return text.lower() in CHROME_LINES or bool(_BANNER.match(text))

    def _read_metadata(self, text: str, line: int, next_text: str | None) -> bool:
        entry = self.current
        date = _DATE.match(text)
        if date and _MONTHS.get(date.group("month")[:3].lower()):
            self._read_date(date, line)
            return True
        authors = _AUTHORS.match(text)
        if authors:
            if entry is None:
                self.warn(line, "author count before any paper", "remove the line or add the paper above it")
            else:
                entry.authors_count = int(authors.group(1))
                self._end_entry_text(entry, line)
            return True
        if _SEPARATOR.match(text):
            if entry is None:
                self.warn(line, "metadata separator '·' before any paper", "remove the line")
            return True
        if entry is not None and _UPVOTES.match(text) and entry.has_metadata:
            entry.upvotes = int(text)
            return True
        if entry is not None and next_text is not None and _SEPARATOR.match(next_text):
            entry.organization = _organization_name(text)
            self._end_entry_text(entry, line)
            return True
        return False

    def _read_date(self, match: re.Match[str], line: int) -> None:
        month = _MONTHS[match.group("month")[:3].lower()]
        year = int(match.group("year")) if match.group("year") else None
        date = PartialDate(month, int(match.group("day")), year, line)
        entry = self.current
        if entry is None:
            if self.capture_day is None:
                self.capture_day = date  # the page's own date, shown above the first paper
            else:
                self.warn(line, "a second page date before any paper", "remove the line")
            return
        if entry.date is not None:
            self.warn(
                line,
                f"second date for '{entry.title}' (first at line {entry.date.line})",
                "keep one date per paper",
            )
            return
        entry.date = date
        if match.group("upvotes"):
            entry.upvotes = int(match.group("upvotes"))
        self._end_entry_text(entry, line)

    def _end_entry_text(self, entry: _Entry, line: int) -> None:
        if self.expect_abstract:
            self.warn(
                entry.line,
                f"paper '{entry.title}' has no abstract",
                "paste the abstract below the title, or ignore if the listing has none",
            )
            self.expect_abstract = False
        entry.has_metadata = True

    def _read_text(self, text: str, line: int) -> None:
        entry = self.current
        if self.expect_abstract and entry is not None:
            entry.abstract_parts.append(text)
            self.expect_abstract = False
        elif entry is not None and not entry.has_metadata and len(text) > MAX_TITLE_CHARS:
            entry.abstract_parts.append(text)  # a further paragraph of the same abstract
        elif len(text) > MAX_TITLE_CHARS:
            self.warn(
                line,
                f"a {len(text)}-character paragraph where a title was expected",
                "check that the title above it was copied",
            )
        else:
            self.entries.append(_Entry(title=text, line=line))
            self.expect_abstract = True

    def finish(self) -> list[_Entry]:
        if self.expect_abstract and self.current is not None:
            self.warn(
                self.current.line,
                f"paper '{self.current.title}' has no abstract",
                "paste the abstract below the title, or ignore if the listing has none",
            )
        return self.entries


def _organization_name(text: str) -> str:
    """'UCAS ucas' → 'UCAS': listings repeat an organisation's name as its lowercase handle."""
    name, _, handle = text.rpartition(" ")
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    if (
        name
        and handle.islower()
        and squashed
        and (squashed.startswith(re.sub(r"[^a-z0-9]", "", handle)) or squashed in handle)
    ):
        return clean_text(name)
    return clean_text(text)


def _capture_year(
    entries: list[_Entry], capture: PartialDate | None, captured: dt.date | None, path: Path
) -> tuple[int | None, list[Problem]]:
    """The year of the listing's capture: from site.yaml, the page's date, or inferred.

    Hugging Face omits the year only for dates in the current year, so every date shown with a
    year is earlier than the capture: the capture year is at least one more than the latest.
    """
    if captured is not None:
        return captured.year, []
    if capture is not None and capture.year is not None:
        return capture.year, []
    years = [e.date.year for e in entries if e.date and e.date.year]
    yearless = [e for e in entries if e.date and e.date.year is None]
    if not yearless:
        return (max(years) + 1 if years else None), []
    if years:
        return max(years) + 1, []
    first = yearless[0].date
    line = first.line if first else None
    return None, [
        Problem(
            path,
            line,
            f"{counted(len(yearless), 'dates')} without a year, and the year of capture is unknown",
            f"add to site.yaml: listings: {{{path.name}: {{captured: YYYY-MM-DD}}}}",
        )
    ]


def _capture_date(capture: PartialDate | None, year: int | None) -> dt.date | None:
    if capture is None or year is None:
        return None
    return _safe_date(year, capture.month, capture.day)


def _to_raw_paper(
    entry: _Entry, path: Path, year: int | None, capture: PartialDate | None, problems: list[Problem]
) -> RawPaper:
    date = None
    if entry.date is not None:
        d = entry.date
        resolved_year = d.year
        if resolved_year is None and year is not None:
            resolved_year = year
            # A year-less date later in the calendar than the capture day was last year's.
            if capture is not None and (d.month, d.day) > (capture.month, capture.day):
                resolved_year -= 1
        if resolved_year is not None:
            date = _safe_date(resolved_year, d.month, d.day)
            if date is None:
                problems.append(
                    Problem(
                        path, d.line, f"{d.month}/{d.day}/{resolved_year} is not a real date", "fix the date"
                    )
                )
    return RawPaper(
        title=clean_text(latex_to_text(entry.title)),
        abstract=clean_text(latex_to_text(" ".join(entry.abstract_parts))),
        source=SourceRef(path, entry.line),
        authors_count=entry.authors_count,
        organization=entry.organization,
        date=date,
        upvotes=entry.upvotes,
    )


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
