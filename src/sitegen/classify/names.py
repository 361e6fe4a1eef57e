"""Finding a paper by the name an editor wrote: its slug or its exact title.

Used wherever YAML points at papers (topic examples, overrides), so every such reference is
checked the same way and an unknown name gets the same helpful error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from ..errors import Problem, SitegenError
from ..models import Paper, Taxonomy
from ..textnorm import title_key


class PaperNames:
    """Look-up of papers by slug, exact title, or title ignoring case and punctuation."""

    def __init__(self, papers: Iterable[Paper]) -> None:
        self.papers = list(papers)
        self.by_slug = {p.slug: p for p in self.papers}
        self.by_title = {p.title: p for p in self.papers}
        self.by_key = {title_key(p.title): p for p in self.papers}

    def find(self, name: str) -> Paper | None:
        name = name.strip()
        return self.by_slug.get(name) or self.by_title.get(name) or self.by_key.get(title_key(name))

    def unknown(self, path: Path, line: int | None, name: str, what: str) -> Problem:
        candidates = list(self.by_slug) + list(self.by_title)
        close = [c for c in candidates if c.lower().startswith(name.lower())][:1]
        close = close or difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        hint = (
            f"did you mean '{close[0]}'?" if close else "use a paper's slug (from its URL) or its exact title"
        )
        return Problem(path, line, f"{what} '{name}' names no paper", hint)

    def resolve_examples(self, taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
        """Topic id → slugs of its example papers; every unknown name is an error with its line."""
        problems = []
        resolved: dict[str, tuple[str, ...]] = {}
        for topic in taxonomy.walk():
            slugs = []
            for name in topic.examples:
                paper = self.find(name)
                if paper is None:
                    what = f"example of topic '{topic.id}'"
                    problems.append(self.unknown(taxonomy.path, topic.examples_line, name, what))
                else:
                    slugs.append(paper.slug)
            resolved[topic.id] = tuple(slugs)
        if problems:
            raise SitegenError(*problems)
        return resolved
