"""Merge papers that appear in several listings into one `Paper` each.

Two entries are the same paper when their titles agree once case, accents, LaTeX and
punctuation are ignored. The merged paper keeps the richest metadata of its copies.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import Paper, RawPaper
from ..textnorm import title_key
from .slugs import unique_slugs


def merge_duplicates(raw_papers: Iterable[RawPaper]) -> list[Paper]:
    """Distinct papers in order of first appearance, each with a unique slug."""
    groups: dict[str, list[RawPaper]] = {}
    for raw in raw_papers:
        groups.setdefault(title_key(raw.title), []).append(raw)
    merged = [_merge(copies) for copies in groups.values()]
    slugs = unique_slugs([title for title, *_ in merged])
    return [
        Paper(
            slug=slug,
            title=title,
            abstract=abstract,
            sources=sources,
            authors_count=authors,
            organization=org,
            date=date,
            upvotes=upvotes,
        )
        for slug, (title, abstract, sources, authors, org, date, upvotes) in zip(slugs, merged, strict=True)
    ]


def _merge(copies: list[RawPaper]) -> tuple:
    """Richest of each field: longest abstract, any known count, organisation and date, most upvotes."""
    first = copies[0]
    abstract = max((c.abstract for c in copies), key=len)
    authors = next((c.authors_count for c in copies if c.authors_count is not None), None)
    org = next((c.organization for c in copies if c.organization), None)
    date = next((c.date for c in copies if c.date is not None), None)
    upvote_counts = [c.upvotes for c in copies if c.upvotes is not None]
    upvotes = max(upvote_counts) if upvote_counts else None
    sources = tuple(c.source for c in copies)
    return first.title, abstract, sources, authors, org, date, upvotes
