"""Give each paper its topics and kind, each decision with the matches behind it.

A topic's score is the sum of its rules' points (`rules`; zero if an exclusion matches) plus
its similarity to the topic's description and examples. A paper gets every top-level topic that
clears the threshold and is not far behind its best one, ordered by score and then by the
editors' precedence (`before`); within each, the subtopics that do the same.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from ..models import (
    AssignedPaper,
    Assignment,
    AssignSettings,
    Match,
    Paper,
    Taxonomy,
    Topic,
)
from .rules import PaperText, assign_kind, rule_index, score_rule
from .similarity import PaperVectors, TopicProfiles, build_profiles, paper_vectors
from .textmatch import compile_phrase


@dataclass(frozen=True)
class TopicScore:
    topic_id: str
    score: float
    matches: tuple[Match, ...]
    excluded_by: str | None = None


SIMILAR_PLACEHOLDER = "the topic's description and examples"


@dataclass(frozen=True)
class Similarity:
    """Topic profiles plus what explanations need: example titles and points per cosine."""

    profiles: TopicProfiles
    titles: dict[str, str]
    weight: float

    def points(self, slug: str, topic_id: str) -> float:
        return round(self.weight * self.profiles.similarity(slug, topic_id), 2)

    def match(self, slug: str, topic_id: str) -> Match | None:
        points = self.points(slug, topic_id)
        return Match(SIMILAR_PLACEHOLDER, "similar to", points) if points > 0 else None

    def explain(self, slug: str, assignment: Assignment, like: str | None = None) -> Assignment:
        """Name the closest example papers (`like`, made here unless given), only for
        assignments a reader will see."""
        if not _says_similar(assignment):
            return assignment
        like = like if like is not None else self.like(slug, assignment.topic_id)
        matches = tuple(
            replace(m, text=like) if m.text == SIMILAR_PLACEHOLDER else m for m in assignment.matches
        )
        return replace(assignment, matches=matches)

    def like(self, slug: str, topic_id: str) -> str:
        closest = self.profiles.closest_examples(slug, topic_id)
        return "; ".join(self.titles[ex] for ex, _ in closest) or "the topic's description"


def _says_similar(assignment: Assignment) -> bool:
    """Whether the assignment has a "similar to" match still waiting for its example titles."""
    return any(m.text == SIMILAR_PLACEHOLDER for m in assignment.matches)


def score_topic(topic: Topic, text: PaperText, similarity: Similarity | None = None) -> TopicScore:
    """A topic's own score for a paper (its subtopics are scored separately)."""
    for excluded in map(compile_phrase, topic.exclude):
        found = text.find(excluded, "title") or text.find(excluded, "abstract")
        if found:
            return TopicScore(topic.id, 0.0, (), excluded_by=found[0])
    matches = [m for rule in topic.rules if text.may_match(rule) for m in score_rule(rule, text)]
    similar = similarity.match(text.slug, topic.id) if similarity else None
    if similar:
        matches.append(similar)
    return TopicScore(topic.id, round(sum(m.points for m in matches), 2), tuple(matches))


def choose(
    candidates: list[TopicScore], settings: AssignSettings, by_id: Mapping[str, Topic] | None = None
) -> list[TopicScore]:
    """Topics above the threshold and within `secondary_ratio` of the best, best first.

    A topic may set its own ratio (`by_id`): one that goes second to any other, as the guide's
    "understanding" goes with an analysis of any topic's method, joins at a lower share."""
    passing = sorted(
        (c for c in candidates if c.score >= settings.threshold), key=lambda c: (-c.score, c.topic_id)
    )
    if not passing:
        return []
    best = passing[0].score
    return [c for c in passing if c.score >= best * _share_needed(c.topic_id, settings, by_id)][
        : settings.max_topics
    ]


def _share_needed(topic_id: str, settings: AssignSettings, by_id: Mapping[str, Topic] | None) -> float:
    """The share of a paper's best score this topic needs to join it too."""
    own = by_id[topic_id].secondary_ratio if by_id else None
    return settings.secondary_ratio if own is None else own


def apply_precedence(
    chosen: list[TopicScore], by_id: Mapping[str, Topic], min_ratio: float = 0.0
) -> tuple[list[TopicScore], str]:
    """Move a topic ahead of the ones it is declared `before`; say so for the paper page.

    The editorial guide settles some pairs whatever the scores (a vision paper is `multimodal`
    first even when instruction-tuning words are more frequent); `before` encodes those rules.
    """
    order = list(chosen)
    notes = []
    changed = True
    rounds = len(order) ** 2  # a cycle of `before`s (a before b before c before a) must still end
    while changed and rounds:
        changed = False
        rounds -= 1
        for i, j in itertools.combinations(range(len(order)), 2):
            ahead, behind = by_id[order[i].topic_id], by_id[order[j].topic_id]
            strong_enough = order[j].score >= min_ratio * order[i].score
            if (
                strong_enough
                and _declares_before(behind, ahead.id)
                and not _declares_before(ahead, behind.id)
            ):
                order.insert(i, order.pop(j))
                notes.append(f"{behind.title} comes before {ahead.title} (taxonomy: before)")
                changed = True
                break
    return order, "; ".join(notes)


def _declares_before(topic: Topic, other_id: str) -> bool:
    return other_id in topic.before or other_id.rsplit("/", 1)[-1] in topic.before


NEAR_RATIO = 0.8  # a topic scoring this share of the threshold is "possibly related"


class Assigner:
    """Scores papers against one taxonomy; keeps what explanations need (examples, profiles)."""

    def __init__(
        self,
        papers: Sequence[Paper],
        taxonomy: Taxonomy,
        examples: Mapping[str, tuple[str, ...]] | None = None,
        text: Callable[[], PaperVectors] | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.by_id = taxonomy.by_id()
        self.rule_index = rule_index(taxonomy)
        self._papers = papers
        self._text = text  # the papers' text statistics, asked for when `similarity` is first used
        self.topics = taxonomy.walk()
        self.examples = examples or {}
        self._zeros = {t.id: TopicScore(t.id, 0.0, ()) for t in self.topics}
        self.floor = taxonomy.settings.threshold * NEAR_RATIO  # no lower score decides anything

    @property
    def similarity_weight(self) -> float:
        """The points a perfect similarity adds; 0 when the taxonomy scores by its rules alone
        (then `similarity` is None and no text statistics are needed)."""
        return max(self.taxonomy.settings.similarity_weight, 0.0)

    @functools.cached_property
    def similarity(self) -> Similarity | None:
        """Each paper's similarity to each topic, made on first use."""
        if not self.similarity_weight:
            return None
        text = self._text() if self._text else paper_vectors(self._papers)
        profiles = build_profiles(text, self.taxonomy, self.examples)
        return Similarity(profiles, {p.slug: p.title for p in self._papers}, self.similarity_weight)

    def scores(self, paper: Paper, exact: bool = True) -> tuple[dict[str, TopicScore], str, str]:
        """Every topic's score for the paper, its kind and the reason. Unless `exact`, a score
        that is surely under the floor reads as 0, which decides the same (most topics, most
        papers): none of the topic's rules can match and its similarity alone falls short."""
        text = PaperText.of(paper, self.rule_index)
        kind, kind_reason = assign_kind(text, self.taxonomy)
        text.kind = kind
        scores = {}
        for topic in self.topics:
            if not exact and self._under_floor(topic, text):
                scores[topic.id] = self._zeros[topic.id]
            else:
                scores[topic.id] = score_topic(topic, text, self.similarity)
        return scores, kind, kind_reason

    def _under_floor(self, topic: Topic, text: PaperText) -> bool:
        if any(text.may_match(rule) for rule in topic.rules):
            return False
        return not self.similarity or self.similarity.points(text.slug, topic.id) < self.floor

    def explain(self, slug: str, assignment: Assignment) -> Assignment:
        return self.similarity.explain(slug, assignment) if self.similarity else assignment

    def assign(self, paper: Paper) -> AssignedPaper:
        """The paper's topics (best first, then their subtopics) and kind, each with its reasons."""
        settings = self.taxonomy.settings
        scores, kind, kind_reason = self.scores(paper, exact=False)
        top_level = [scores[t.id] for t in self.taxonomy.topics]
        chosen, order_note = apply_precedence(
            choose(top_level, settings, self.by_id), self.by_id, settings.precedence_ratio
        )
        subtopics: list[TopicScore] = []
        for top in chosen:
            subtopics.extend(_choose_descendants(self.by_id[top.topic_id], scores, settings))
        chosen_ids = {c.topic_id for c in chosen}
        near = tuple(
            (s.topic_id, s.score)
            for s in sorted(top_level, key=lambda s: -s.score)
            if s.topic_id not in chosen_ids and self.floor <= s.score
        )
        return AssignedPaper(
            paper=paper,
            topics=tuple(self.explain(paper.slug, as_assignment(s)) for s in chosen),
            subtopics=tuple(self.explain(paper.slug, as_assignment(s)) for s in subtopics),
            kind=kind,
            kind_reason=kind_reason,
            order_note=order_note,
            near=near[:2],
        )


def assign_paper(paper: Paper, taxonomy: Taxonomy) -> AssignedPaper:
    """One paper against a taxonomy without similarity (no corpus): rules and kinds only."""
    return Assigner([paper], taxonomy).assign(paper)


def _choose_descendants(
    topic: Topic, scores: dict[str, TopicScore], settings: AssignSettings
) -> list[TopicScore]:
    """Every topic has its own score, but subtopic rules only choose among the subtopics of a
    parent the paper already belongs to: a broad subtopic phrase never pulls a paper into its parent."""
    by_id = {c.id: c for c in topic.children}
    chosen = choose([scores[c.id] for c in topic.children], settings, by_id)
    out = list(chosen)
    for child in chosen:
        out.extend(_choose_descendants(by_id[child.topic_id], scores, settings))
    return out


def as_assignment(score: TopicScore) -> Assignment:
    return Assignment(topic_id=score.topic_id, score=score.score, matches=score.matches)
