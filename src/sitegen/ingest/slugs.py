"""The only place that makes slugs: safe, short, unique file names derived from titles."""

from __future__ import annotations

import re

from ..textnorm import fold_ascii

MAX_SLUG_CHARS = 80


def slugify(text: str, max_chars: int = MAX_SLUG_CHARS) -> str:
    """Lowercase ASCII words joined by '-', cut at a word boundary; never empty, never '..'."""
    words = re.findall(r"[a-z0-9]+", fold_ascii(text).lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_chars:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_chars]
    return slug or "untitled"


def unique_slugs(titles: list[str]) -> list[str]:
    """One slug per title, in order; a collision gets -2, -3, … so no page overwrites another."""
    taken: set[str] = set()
    slugs = []
    for title in titles:
        base = slugify(title)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base[: MAX_SLUG_CHARS - len(str(n)) - 1]}-{n}"
        taken.add(slug)
        slugs.append(slug)
    return slugs
