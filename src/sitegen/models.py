"""The typed, frozen values that flow between stages.

`RawPaper` (one entry of one listing) → `Paper` (merged across listings, with a slug) →
`AssignedPaper` (with topics, each with its reasons, and a kind) → `Site` (everything a
template needs). Stages only pass these values; none of them touches the disk.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("method", "benchmark", "survey", "analysis", "toolkit")


@dataclass(frozen=True)
class SourceRef:
    """Where a paper entry starts: listing file and 1-based line."""

    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}"


@dataclass(frozen=True)
class RawPaper:
    """One entry as read from one listing, before merging duplicates."""

    title: str
    abstract: str
    source: SourceRef
    authors_count: int | None = None
    organization: str | None = None
    date: dt.date | None = None
    upvotes: int | None = None


@dataclass(frozen=True)
class Paper:
    """A distinct paper: duplicates merged, richest metadata kept, a unique slug."""

    slug: str
    title: str
    abstract: str
    sources: tuple[SourceRef, ...]
    authors_count: int | None = None
    organization: str | None = None
    date: dt.date | None = None
    upvotes: int | None = None


@dataclass(frozen=True, eq=False)  # compared by identity: hashing all phrases per look-up was slow
class Rule:
    """Weighted phrases or a pattern that give a topic (or a kind) points when they match."""

    weight: float
    scope: str  # "title", "abstract" or "both"
    phrases: tuple[str, ...] = ()
    pattern: str | None = None
    line: int | None = None
    if_kind: str | None = None  # the rule gives its weight when the paper is of this kind

    @property
    def label(self) -> str:
        if self.if_kind:
            return f"kind {self.if_kind}"
        return self.pattern if self.pattern else ", ".join(self.phrases)


@dataclass(frozen=True)
class Topic:
    """A node of the taxonomy tree; `id` of a subtopic is `parent/child`."""

    id: str
    title: str
    description: str
    rules: tuple[Rule, ...] = ()
    exclude: tuple[str, ...] = ()
    children: tuple[Topic, ...] = ()
    parent: str | None = None
    line: int | None = None
    examples: tuple[str, ...] = ()  # papers (slug or exact title) that teach the topic by example
    examples_line: int | None = None
    before: tuple[str, ...] = ()  # topics this one is listed ahead of when a paper has both
    before_line: int | None = None
    secondary_ratio: float | None = None  # the settings' share of the best score, for this topic

    @property
    def depth(self) -> int:
        return self.id.count("/")

    def branch(self) -> list[Topic]:
        """This topic and every topic under it, parents before their children, in file order."""
        return [self, *(t for child in self.children for t in child.branch())]


@dataclass(frozen=True)
class KindRule:
    kind: str
    rule: Rule


@dataclass(frozen=True)
class AssignSettings:
    """How scores become assignments: who clears the bar, and how many topics at most."""

    threshold: float = 4.0
    secondary_ratio: float = 0.5
    max_topics: int = 3
    similarity_weight: float = 0.0  # points for a perfect (cosine 1.0) match with a topic's profile
    # `before` moves a topic ahead only if it scores this share of the one ahead of it.
    precedence_ratio: float = 0.0
    kind_threshold: float = 3.0
    # A kind whose rules are the only ones that matched needs this score (None: `kind_threshold`):
    # a weak cue no other kind contradicts is evidence enough.
    kind_uncontested_threshold: float | None = None
    default_kind: str = "method"


@dataclass(frozen=True)
class Taxonomy:
    path: Path
    topics: tuple[Topic, ...]
    kind_rules: tuple[KindRule, ...] = ()
    settings: AssignSettings = field(default_factory=AssignSettings)

    def walk(self) -> list[Topic]:
        """Every topic, parents before their children, in file order."""
        return [t for topic in self.topics for t in topic.branch()]

    def by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in self.walk()}


@dataclass(frozen=True)
class Match:
    """Why a rule fired: the text that matched, where, and the points it gave."""

    text: str
    field: str
    points: float

    def __str__(self) -> str:
        if self.field == "kind":
            return f"{self.text} ({self.points:+g})"
        if self.field == "editors":
            return self.text
        if self.field == "similar to":
            return f"similar to: {self.text} ({self.points:+g})"
        quoted = self.text if self.text.startswith("“") else f"“{self.text}”"  # several phrases come quoted
        return f"{quoted} in {self.field} ({self.points:+g})"


@dataclass(frozen=True)
class Assignment:
    """A paper's place in one topic, with the score and the matches that explain it."""

    topic_id: str
    score: float
    matches: tuple[Match, ...]

    @property
    def reason(self) -> str:
        return "; ".join(str(m) for m in self.matches)


@dataclass(frozen=True)
class AssignedPaper:
    paper: Paper
    topics: tuple[Assignment, ...]  # top-level topics, best first
    subtopics: tuple[Assignment, ...]  # `parent/child` topics, best first
    kind: str
    kind_reason: str
    order_note: str = ""  # why the topics are in this order, when precedence reordered them
    off_topic: bool = False  # an editor kept it out of the site (still in papers.json)
    links: tuple[tuple[str, str], ...] = ()  # (label, URL) from overrides
    note_html: str = ""  # the editors' Markdown note, rendered safely
    decided_at: str = ""  # where the editors placed it ("decisions.yaml:12"), when they did
    reviewed: bool = False  # its topics (or off-topic) were decided by the editors
    automatic: tuple[str, ...] = ()  # topics the rules chose, before the editors' decision (for check)
    near: tuple[tuple[str, float], ...] = ()  # top-level topics scoring just under the threshold

    @property
    def slug(self) -> str:
        return self.paper.slug

    @property
    def topic_ids(self) -> list[str]:
        return [a.topic_id for a in self.topics]

    @property
    def first_topic_id(self) -> str | None:
        """The most specific of its first topics: where its breadcrumbs and next/previous lead."""
        first = (self.subtopics or self.topics or (None,))[0]
        return first.topic_id if first else None


@dataclass(frozen=True)
class Page:
    """A Markdown page of the survey (About, …), already rendered to safe HTML."""

    slug: str
    title: str
    html: str
    source: Path


@dataclass(frozen=True)
class Site:
    """Everything a build renders: phase 1's result, phase 2's input."""

    title: str
    description: str
    papers: tuple[AssignedPaper, ...]
    taxonomy: Taxonomy
    pages: tuple[Page, ...]
    topic_html: dict[str, str]  # topic id → description rendered from Markdown
    assigner: Any = None  # the `assign.Assigner` that placed the papers (explain, check)
    overrides: Any = None  # the editors' `overrides.Overrides` (check)
    related: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # slug → similar papers' slugs

    def near_topic(self, topic_id: str, limit: int = 10) -> list[AssignedPaper]:
        """The published papers closest under a topic's bar: "possibly related", shown apart."""
        return self._near.get(topic_id, [])[:limit]

    @functools.cached_property
    def _near(self) -> dict[str, list[AssignedPaper]]:
        # Every topic's near papers, closest first, in one pass over the papers.
        found: dict[str, list[tuple[float, str, AssignedPaper]]] = {}
        for paper in self.published:
            for topic_id, score in paper.near:
                found.setdefault(topic_id, []).append((-score, paper.slug, paper))
        return {tid: [p for *_, p in sorted(near, key=lambda f: f[:2])] for tid, near in found.items()}

    def in_topic(self, topic_id: str) -> list[AssignedPaper]:
        """Papers of a topic (a top-level topic includes its subtopics' papers), newest first."""
        return self._by_topic.get(topic_id, [])

    @functools.cached_property
    def _by_topic(self) -> dict[str, list[AssignedPaper]]:
        # One pass over the papers for every topic page, instead of one pass per topic.
        found: dict[str, list[AssignedPaper]] = {}
        for paper in sorted(self.papers, key=newest_first):
            for a in (*paper.topics, *paper.subtopics):
                found.setdefault(a.topic_id, []).append(paper)
        return found

    def by_slug(self, slug: str) -> AssignedPaper | None:
        return self._by_slug.get(slug)

    @functools.cached_property
    def _by_slug(self) -> dict[str, AssignedPaper]:
        return {p.slug: p for p in self.papers}

    def neighbours(self, paper: AssignedPaper) -> tuple[AssignedPaper | None, AssignedPaper | None]:
        """The newer and older paper next to this one in its first topic: a reader's next/previous."""
        topic_id = paper.first_topic_id
        position = self._positions[topic_id].get(paper.slug) if topic_id else None
        if topic_id is None or position is None:
            return None, None
        papers = self.in_topic(topic_id)
        newer = papers[position - 1] if position > 0 else None
        older = papers[position + 1] if position + 1 < len(papers) else None
        return newer, older

    @functools.cached_property
    def _positions(self) -> dict[str, dict[str, int]]:
        return {tid: {p.slug: i for i, p in enumerate(ps)} for tid, ps in self._by_topic.items()}

    def related_to(self, paper: AssignedPaper) -> list[AssignedPaper]:
        return [p for slug in self.related.get(paper.slug, ()) if (p := self.by_slug(slug))]

    def empty_topics(self) -> list[Topic]:
        """Topics no paper reaches: usually a rule that stopped matching after an edit."""
        claimed = {a.topic_id for p in self.papers for a in (*p.topics, *p.subtopics)}
        return [t for t in self.taxonomy.walk() if t.id not in claimed]

    # Computed once: every page's footer counts the published papers.
    @functools.cached_property
    def unsorted(self) -> tuple[AssignedPaper, ...]:
        return tuple(sorted((p for p in self.papers if not p.topics and not p.off_topic), key=newest_first))

    @functools.cached_property
    def off_topic(self) -> tuple[AssignedPaper, ...]:
        return tuple(sorted((p for p in self.papers if p.off_topic), key=newest_first))

    @functools.cached_property
    def published(self) -> tuple[AssignedPaper, ...]:
        """Papers with a page on the site: every paper but those the editors marked off-topic."""
        return tuple(p for p in self.papers if not p.off_topic)


def newest_first(paper: AssignedPaper) -> tuple[int, str, str]:
    """Sort key: dated papers newest first, undated last, then by title for a stable order."""
    date = paper.paper.date
    return (-date.toordinal() if date else 1, paper.paper.title.lower(), paper.slug)
