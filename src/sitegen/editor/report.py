"""Editor-facing reports: what `sitegen check` finds, `sitegen explain`, and the build's drift.

They read the in-memory `Site` (phase 1) and never write anything, so an editor can ask them
as often as they like while tuning the taxonomy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..classify.assign import as_assignment
from ..classify.rules import PaperText, rule_index, score_rule
from ..errors import counted
from ..models import AssignedPaper, Site, Taxonomy
from ..search.lunr import text_terms

WEAK_MARGIN = 1.25  # a best score below 1.25 times the threshold is a "weak" assignment
DRIFT_LINES = 15


@dataclass
class CheckFindings:
    """Everything an editor may want to fix, each as a ready-to-print line."""

    unsorted: list[str] = field(default_factory=list)
    off_topic: list[str] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)
    empty_topics: list[str] = field(default_factory=list)
    idle_rules: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def sections(self) -> list[tuple[str, list[str]]]:
        return [
            ("Unsorted papers (no topic scored high enough)", self.unsorted),
            ("Off-topic papers (kept out of the site by overrides)", self.off_topic),
            ("Weak assignments (best score close to the threshold)", self.weak),
            ("Empty topics", self.empty_topics),
            ("Rules that match no paper", self.idle_rules),
            ("Overrides that disagree with the rules", self.conflicts),
        ]

    def format(self) -> str:
        lines = []
        for heading, items in self.sections():
            if items:
                lines.append(f"{heading}: {len(items)}")
                lines.extend(f"  - {item}" for item in items)
        return "\n".join(lines)


def check_site(site: Site) -> CheckFindings:
    findings = CheckFindings()
    findings.unsorted = [f"{p.slug}: {p.paper.title}" for p in site.unsorted]
    findings.off_topic = [f"{p.slug}: {p.paper.title}" for p in site.off_topic]
    findings.weak = _weak(site)
    findings.empty_topics = [f"{t.id} ({t.title})" for t in site.empty_topics()]
    findings.idle_rules = _idle_rules(site)
    findings.conflicts = _conflicts(site)
    return findings


def _weak(site: Site) -> list[str]:
    bar = site.taxonomy.settings.threshold * WEAK_MARGIN
    out = []
    for paper in site.published:
        if paper.topics and not paper.reviewed and paper.topics[0].score < bar:
            best = paper.topics[0]
            out.append(
                f"{paper.slug}: {best.topic_id} scores {best.score:g} (threshold "
                f"{site.taxonomy.settings.threshold:g}) because {best.reason}"
            )
    return out


def _idle_rules(site: Site) -> list[str]:
    index = rule_index(site.taxonomy)
    texts = [PaperText.of(p.paper, index) for p in site.papers]
    out = []
    for topic in site.taxonomy.walk():
        for rule in topic.rules:
            if rule.if_kind:
                continue
            if not any(score_rule(rule, text) for text in texts):
                out.append(f"{site.taxonomy.path.name}:{rule.line}: topic '{topic.id}': {rule.label}")
    return out


def _conflicts(site: Site) -> list[str]:
    overrides = site.overrides
    if overrides is None or not overrides.by_slug:
        return []
    name = overrides.path.name if overrides.path else "overrides"
    papers = {p.slug: p for p in site.papers}
    out = []
    for slug, override in overrides.by_slug.items():
        automatic = list(papers[slug].automatic)
        where = f"{name}:{override.line}: {slug}"
        if override.topics is not None and automatic and automatic[0] not in override.topics:
            out.append(f"{where}: pinned to {list(override.topics)} but the rules choose {automatic}")
        for topic in override.remove_topics:
            if topic not in automatic:
                out.append(f"{where}: removes '{topic}', which the rules no longer assign")
        for topic in override.add_topics:
            if topic in automatic:
                out.append(f"{where}: adds '{topic}', which the rules already assign")
        if override.off_topic and automatic:
            out.append(f"{where}: marked off-topic, but the rules place it in {automatic}")
    return out


def find_papers(site: Site, query: str) -> list[AssignedPaper]:
    """A paper by slug or exact title, else every paper the search page finds for the words —
    in its title or abstract, stemmed, the last word as a prefix — those matching in the title
    first."""
    exact = [p for p in site.papers if query in (p.slug, p.paper.title)]
    if exact:
        return exact
    words = text_terms(query)
    if not words:
        return []

    def matches(text: str) -> bool:
        terms = set(text_terms(text))
        return all(w in terms for w in words[:-1]) and any(t.startswith(words[-1]) for t in terms)

    found = [p for p in site.papers if matches(f"{p.paper.title} {p.paper.abstract}")]
    return sorted(found, key=lambda p: not matches(p.paper.title))


def _own_ratios(taxonomy: Taxonomy) -> str:
    """The topics that set their own `secondary_ratio`, for explain's header."""
    own = [f"{t.id} {t.secondary_ratio:g}" for t in taxonomy.walk() if t.secondary_ratio is not None]
    return f" ({'; '.join(own)})" if own else ""


def explain(site: Site, paper: AssignedPaper) -> str:
    """Every topic's score for a paper and what produced it, best first."""
    settings = site.taxonomy.settings
    scores, _, _ = site.assigner.scores(paper.paper)
    lines = [
        paper.paper.title,
        f"slug: {paper.slug}",
        f"kind: {paper.kind} — {paper.kind_reason}",
        f"topics: {', '.join(paper.topic_ids) or 'none (unsorted)'}"
        + (" (off-topic by override)" if paper.off_topic else ""),
        f"threshold {settings.threshold:g}; further topics need "
        f"{settings.secondary_ratio:g} × the best score{_own_ratios(site.taxonomy)}",
    ]
    if paper.order_note:
        lines.append(f"order: {paper.order_note}")
    if paper.decided_at:
        lines.append(f"placed by the editors at {paper.decided_at} (the rules chose {list(paper.automatic)})")
    lines.append("")
    chosen = set(paper.topic_ids) | {a.topic_id for a in paper.subtopics}
    ranked = sorted(scores.values(), key=lambda s: (-s.score, s.topic_id))
    for score in ranked:
        mark = "✓" if score.topic_id in chosen else " "
        assignment = site.assigner.explain(paper.slug, as_assignment(score))
        detail = assignment.reason or (
            "excluded by “" + score.excluded_by + "”" if score.excluded_by else "no match"
        )
        lines.append(f"{mark} {score.score:6.2f}  {score.topic_id}: {detail}")
    return "\n".join(lines)


def drift_report(before: Mapping[str, list[str]] | None, papers: Sequence[AssignedPaper]) -> str:
    """What moved since the last build (`before`: each paper's topics then, as
    `topics_in_papers_json` reads them): papers that gained or lost topics, appeared or went."""
    if before is None:
        return ""
    after = {p.slug: p.topic_ids for p in papers}
    lines = []
    for slug in sorted(after.keys() & before.keys()):
        gained = [t for t in after[slug] if t not in before[slug]]
        lost = [t for t in before[slug] if t not in after[slug]]
        if gained or lost:
            change = " ".join([*(f"+{t}" for t in gained), *(f"-{t}" for t in lost)])
            lines.append(f"  {slug}: {change}")
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    if not (lines or added or removed):
        return "No topic changes since the last build."
    summary = [
        f"Since the last build: {counted(len(lines), 'papers')} changed topics, {len(added)} new, "
        f"{len(removed)} gone."
    ]
    summary += _at_most(lines, DRIFT_LINES, "compare papers.json for all")
    summary += _at_most([f"  new: {slug}" for slug in added], 5, "papers.json lists them")
    summary += _at_most([f"  gone: {slug}" for slug in removed], 5, "the previous papers.json lists them")
    return "\n".join(summary)


def _at_most(lines: list[str], limit: int, where: str) -> list[str]:
    """The first `limit` lines, and how many more there are."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"  … and {len(lines) - limit} more ({where})"]
