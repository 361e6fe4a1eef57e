"""Apply the editors' overrides (content/overrides.yaml) to the automatic assignment.

Automatic placement is right for most papers; overrides fix the rest. A paper is named by slug or
exact title. Editors can pin or adjust topics, set the kind, mark a paper off-topic (kept out of
the site, still in papers.json and listed for editors), correct metadata, add links, and attach
a Markdown note. Every override is remembered, so `sitegen check` can show where the rules and
the editors disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import Problem, SitegenError
from ..markdown import is_safe_link, render_markdown
from ..models import KINDS, AssignedPaper, Assignment, Match, Paper, Taxonomy
from ..yamlio import closest_hint, line_of, load_yaml, unknown_key_problems
from .names import PaperNames

OVERRIDE_KEYS = (
    "paper",
    "topics",
    "add_topics",
    "remove_topics",
    "kind",
    "off_topic",
    "title",
    "date",
    "authors_count",
    "organization",
    "upvotes",
    "links",
    "note",
)
METADATA_KEYS = ("title", "date", "authors_count", "organization", "upvotes")


@dataclass(frozen=True)
class Override:
    """One editor decision about one paper, with the line it came from."""

    slug: str
    line: int | None
    topics: tuple[str, ...] | None = None
    add_topics: tuple[str, ...] = ()
    remove_topics: tuple[str, ...] = ()
    kind: str | None = None
    off_topic: bool | None = None  # None: the entry does not say
    metadata: dict[str, Any] = field(default_factory=dict)
    links: tuple[tuple[str, str], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Overrides:
    path: Path | None
    by_slug: dict[str, Override]

    @classmethod
    def empty(cls) -> Overrides:
        return cls(None, {})


@dataclass(frozen=True)
class EntryKind:
    """What one kind of editors' file holds: its keys, and the words its messages use."""

    keys: tuple[str, ...]
    file: str  # "overrides", "decisions"
    entry: str  # "an override", "a decision"
    twice: str  # "is overridden twice"


OVERRIDES = EntryKind(OVERRIDE_KEYS, "overrides", "an override", "is overridden twice")
DECISIONS = EntryKind(("paper", "topics", "kind", "off_topic"), "decisions", "a decision", "is decided twice")


def load_decisions(
    path: Path, names: PaperNames, taxonomy: Taxonomy, site_root: Path | None = None
) -> Overrides:
    """Read the editors' reviewed placements (content/decisions.yaml): each names a paper and its
    topics, best first (or `off_topic: true`), and may set its kind. A missing file: none yet."""
    decisions = load_overrides(path, names, taxonomy, site_root, DECISIONS)
    undecided = [d for d in decisions.by_slug.values() if d.topics is None and d.off_topic is None]
    if undecided:
        raise SitegenError(
            *(
                Problem(
                    path,
                    d.line,
                    f"the decision on '{d.slug}' gives no topics",
                    "add topics: [...] or off_topic: true",
                )
                for d in undecided
            )
        )
    return decisions


def load_overrides(
    path: Path,
    names: PaperNames,
    taxonomy: Taxonomy,
    site_root: Path | None = None,
    kind: EntryKind = OVERRIDES,
) -> Overrides:
    """Read and validate the overrides file; a missing file means no overrides."""
    if not path.exists():
        return Overrides(path, {})
    data = load_yaml(path, site_root, what=f"{kind.file} file")
    if data is None:
        return Overrides(path, {})
    problems: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("papers", []), list):
        raise SitegenError.at(
            path,
            line_of(data),
            f"{kind.file} must be a mapping with a 'papers:' list",
            "start the file with papers: and one '- paper: <slug or title>' per paper",
        )
    problems.extend(unknown_key_problems(data, ("papers",), path, f"the {kind.file} file"))
    reader = _OverrideReader(path, names, set(taxonomy.by_id()), problems, kind)
    by_slug: dict[str, Override] = {}
    for raw in data.get("papers") or []:
        override = reader.read(raw)
        if override is None:
            continue
        if override.slug in by_slug:
            problems.append(
                Problem(
                    path,
                    override.line,
                    f"paper '{override.slug}' {kind.twice} (first at line {by_slug[override.slug].line})",
                    "merge the two entries",
                )
            )
            continue
        by_slug[override.slug] = override
    if problems:
        raise SitegenError(*problems)
    return Overrides(path, by_slug)


class _OverrideReader:
    def __init__(
        self, path: Path, names: PaperNames, topic_ids: set[str], problems: list[Problem], kind: EntryKind
    ) -> None:
        self.path, self.names, self.topic_ids, self.problems, self.kind = (
            path,
            names,
            topic_ids,
            problems,
            kind,
        )

    def problem(self, where: Any, key: str | None, message: str, hint: str) -> None:
        self.problems.append(Problem(self.path, line_of(where, key), message, hint))

    def read(self, raw: Any) -> Override | None:
        if not isinstance(raw, dict) or "paper" not in raw:
            self.problem(
                raw, None, "each override needs 'paper: <slug or exact title>'", "add the paper's slug"
            )
            return None
        self.problems.extend(unknown_key_problems(raw, self.kind.keys, self.path, self.kind.entry))
        paper = self.names.find(str(raw["paper"]))
        if paper is None:
            self.problems.append(
                self.names.unknown(self.path, line_of(raw, "paper"), str(raw["paper"]), "paper")
            )
            return None
        kind = raw.get("kind")
        if kind is not None and kind not in KINDS:
            self.problem(raw, "kind", f"unknown kind '{kind}'", f"use one of: {', '.join(KINDS)}")
            kind = None
        off_topic = raw.get("off_topic")
        if off_topic is not None and not isinstance(off_topic, bool):
            self.problem(raw, "off_topic", "'off_topic' must be true or false", "write off_topic: true")
            off_topic = None
        return Override(
            slug=paper.slug,
            line=line_of(raw),
            topics=self.topic_list(raw, "topics") if "topics" in raw else None,
            add_topics=self.topic_list(raw, "add_topics"),
            remove_topics=self.topic_list(raw, "remove_topics"),
            kind=kind,
            off_topic=off_topic,
            metadata=self.metadata(raw),
            links=self.links(raw),
            note=self.note(raw),
        )

    def topic_list(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(raw, key, f"'{key}' must be a list of topic ids", f"e.g. {key}: [peft]")
            return ()
        for topic in value:
            if str(topic) not in self.topic_ids:
                self.problem(
                    raw,
                    key,
                    f"unknown topic '{topic}' in '{key}'",
                    closest_hint(str(topic), sorted(self.topic_ids), "topic ids"),
                )
        return tuple(str(t) for t in value if str(t) in self.topic_ids)

    def metadata(self, raw: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        checks = {
            "title": (str, "text"),
            "organization": (str, "text"),
            "authors_count": (int, "a whole number"),
            "upvotes": (int, "a whole number"),
            "date": (dt.date, "a date written YYYY-MM-DD"),
        }
        for key, (kind, what) in checks.items():
            if key not in raw:
                continue
            value = raw[key]
            blank = isinstance(value, str) and not value.strip()
            if not isinstance(value, kind) or isinstance(value, bool) or blank:
                self.problem(raw, key, f"'{key}' must be {what}", f"e.g. {key}: ...")
                continue
            out[key] = value.strip() if isinstance(value, str) else value
        return out

    def links(self, raw: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        value = raw.get("links") or {}
        if not isinstance(value, dict):
            self.problem(
                raw, "links", "'links' must map names to URLs", "e.g. links: {arxiv: https://arxiv.org/abs/…}"
            )
            return ()
        out = []
        for label, url in value.items():
            if (
                not isinstance(url, str)
                or not url.startswith(("http://", "https://"))
                or not is_safe_link(url)
            ):
                self.problem(
                    value,
                    label,
                    f"link '{label}' must be an http(s) URL",
                    "e.g. https://arxiv.org/abs/2106.09685",
                )
                continue
            out.append((str(label), url))
        return tuple(out)

    def note(self, raw: dict[str, Any]) -> str:
        value = raw.get("note", "")
        if not isinstance(value, str):
            self.problem(raw, "note", "'note' must be Markdown text", "write note: | followed by the text")
            return ""
        return value.strip()


def _corrected(paper: Paper, override: Override) -> Paper:
    return replace(paper, **override.metadata) if override.metadata else paper


def apply_overrides(papers: list[AssignedPaper], overrides: Overrides) -> list[AssignedPaper]:
    """The assigned papers with every override applied; papers without one are unchanged."""
    if not overrides.by_slug:
        return papers
    return [
        _apply(p, overrides.by_slug[p.slug], overrides.path) if p.slug in overrides.by_slug else p
        for p in papers
    ]


def _apply(paper: AssignedPaper, override: Override, path: Path | None) -> AssignedPaper:
    where = f"{path.name if path else 'overrides'}:{override.line}"
    decides = override.topics is not None or override.off_topic is not None  # a reviewed placement
    editor = Match("set by the editors", "editors", 0)  # where: in `decided_at`, for check and explain
    current = list(paper.topics) + list(paper.subtopics)
    if override.topics is not None:
        kept = {a.topic_id: a for a in current}
        current = [kept.get(t) or Assignment(t, 0.0, (editor,)) for t in override.topics]
        current += [
            a
            for a in paper.subtopics
            if a.topic_id.split("/")[0] in override.topics and a.topic_id not in override.topics
        ]
    current += [
        Assignment(t, 0.0, (editor,)) for t in override.add_topics if t not in {a.topic_id for a in current}
    ]
    removed = set(override.remove_topics)
    current = [a for a in current if a.topic_id not in removed and a.topic_id.split("/")[0] not in removed]
    top = tuple(a for a in current if "/" not in a.topic_id)
    top_ids = {a.topic_id for a in top}
    subs = tuple(a for a in current if "/" in a.topic_id and a.topic_id.split("/")[0] in top_ids)
    off_topic = paper.off_topic if override.off_topic is None else override.off_topic
    if off_topic:
        top, subs = (), ()
    kind, kind_reason = paper.kind, paper.kind_reason
    if override.kind:
        kind, kind_reason = override.kind, "set by the editors"
    return replace(
        paper,
        paper=_corrected(paper.paper, override),
        topics=top,
        subtopics=subs,
        kind=kind,
        kind_reason=kind_reason,
        off_topic=off_topic,
        links=override.links or paper.links,
        note_html=render_markdown(override.note) if override.note else paper.note_html,
        decided_at=where if decides else paper.decided_at,
        reviewed=paper.reviewed or decides,
        automatic=paper.automatic if paper.decided_at else tuple(paper.topic_ids),
    )
