"""Stage 4: give each paper its topics and kind, each decision with the matches behind it.

A topic's score is the sum of its rules' points (`rules`; zero if an exclusion matches) plus
its similarity to the topic's description and examples. A paper gets every top-level topic that
clears the threshold and is not far behind its best one, ordered by score and then by the
editors' precedence (`before`); within each, the subtopics that do the same.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .models import (
    AssignedPaper,
    Assignment,
    AssignSettings,
    Match,
    Paper,
    Rule,
    Taxonomy,
    Topic,
)
from .rules import PaperText, RuleIndex, assign_kind, rule_index, score_rule
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
    one_by_one: bool = False  # a paper's similarity to a few topics only (see `Assigner.use_kept`)

    def points(self, slug: str, topic_id: str) -> float:
        return round(self.weight * self.profiles.similarity(slug, topic_id, self.one_by_one), 2)

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
        self._rescoring_index = self.rule_index  # the rules of the topics `kept` lacks
        self._papers = papers
        self._text = text  # the papers' text statistics, asked for when `similarity` is first used
        self.kept: dict[str, KeptScores] = {}  # score key → scores from an earlier build
        self._score_keys: dict[str, str] | None = None
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
        """Each paper's similarity to each topic, made on first use: a build whose assignments
        all come from the cache never needs the papers' text statistics."""
        if not self.similarity_weight:
            return None
        text = self._text() if self._text else paper_vectors(self._papers)
        profiles = build_profiles(text, self.taxonomy, self.examples)
        return Similarity(profiles, {p.slug: p.title for p in self._papers}, self.similarity_weight)

    @property
    def score_keys(self) -> dict[str, str]:
        """topic id (and `KINDS`) → a digest of everything its scores depend on but the papers' text.

        An editor's tweak changes the digests of the topics it touches only; the scores of the
        others are reused (`kept`) when the papers' text is unchanged too."""
        if self._score_keys is None:
            settings = self.taxonomy.settings
            kind_rules = [(k.kind, _rule_key(k.rule)) for k in self.taxonomy.kind_rules]
            thresholds = (settings.kind_threshold, settings.kind_uncontested_threshold)
            kinds = _digest(kind_rules, *thresholds, settings.default_kind)
            weight = self.similarity_weight
            keys = {KINDS: kinds}
            for topic in self.topics:
                keys[topic.id] = _digest(
                    topic.id,
                    topic.exclude,
                    [_rule_key(r) for r in topic.rules],
                    self._profile_inputs(topic) if weight else None,
                    weight,
                    kinds if any(r.if_kind for r in topic.rules) else None,
                )
            self._score_keys = keys
        return self._score_keys

    @property
    def choice_key(self) -> str:
        """A digest of everything the assignments depend on but the papers' text: every topic's
        score key and how scores become topics (the settings, the tree, each topic's own share,
        `before`). While it and the text are unchanged — a template, page or overrides edit —
        the assignments of an earlier build are the ones this build would make."""
        tree = [
            (t.id, t.parent, [c.id for c in t.children], t.before, t.secondary_ratio) for t in self.topics
        ]
        return _digest(sorted(self.score_keys.items()), repr(self.taxonomy.settings), tree, NEAR_RATIO)

    def _profile_inputs(self, topic: Topic) -> tuple[Any, ...]:
        """What a topic's similarity profile is made from, besides the papers' text."""
        children = tuple(self._profile_inputs(c) for c in topic.children)
        return (topic.title, topic.description, tuple(self.examples.get(topic.id, ())), children)

    def scores(self, paper: Paper) -> tuple[dict[str, TopicScore], str, str]:
        """Every topic's exact score for the paper (none from `kept`), its kind and the reason."""
        scores, kind, kind_reason, _ = self._scores(paper, {}, exact=True)
        return scores, kind, kind_reason

    def use_kept(self, kept: dict[str, Any]) -> None:
        """Reuse scores an earlier build kept, if they were kept down to this build's floor.

        When an edit left only a few topics to score again, papers are tested against those
        topics' rules alone and their similarity is computed topic by topic (not to all at once)."""
        self.kept = kept if kept.get(FLOOR, float("inf")) <= self.floor else {}
        keys = self.score_keys
        stale = [t for t in self.topics if keys[t.id] not in self.kept]
        kinds_stale = keys[KINDS] not in self.kept
        if len(stale) < len(self.topics) or not kinds_stale:
            rules = [r for t in stale for r in t.rules]
            rules += [k.rule for k in self.taxonomy.kind_rules] if kinds_stale else []
            self._rescoring_index = RuleIndex(rules, [phrase for t in stale for phrase in t.exclude])
        if self.similarity and len(stale) * 4 <= len(self.topics):
            self.similarity = replace(self.similarity, one_by_one=True)
        elif self.similarity:  # made here once, before assignment forks, not in each process
            _ = self.similarity.profiles.postings

    def _scores(
        self, paper: Paper, kept: Mapping[str, KeptScores] | None = None, exact: bool = False
    ) -> tuple[dict[str, TopicScore], str, str, dict[str, Any]]:
        """As `scores`, reusing `kept` ones; also the scores made anew that are worth keeping, by
        score key. Unless `exact`, a score under the floor may read as 0, which decides the same:
        a kept one, or one that only the topic's similarity could make (most topics, most papers)."""
        index = self._rescoring_index if kept is None else self.rule_index
        kept = self.kept if kept is None else kept
        fresh: dict[str, Any] = {}
        keys = self.score_keys
        text: PaperText | None = None
        kept_kind = _kept(kept, keys[KINDS], paper.slug, None)
        if kept_kind is None:
            text = PaperText.of(paper, index)
            kind, kind_reason = fresh[keys[KINDS]] = assign_kind(text, self.taxonomy)
        else:
            kind, kind_reason = kept_kind
        scores = {}
        for topic in self.topics:
            packed = _kept(kept, keys[topic.id], paper.slug, _ZERO)
            if packed is None:
                if text is None:
                    text = PaperText.of(paper, index)
                text.kind = kind
                if not exact and self._under_floor(topic, text):
                    score = self._zeros[topic.id]
                else:
                    score = score_topic(topic, text, self.similarity)
                if score.score >= self.floor:
                    fresh[keys[topic.id]] = _pack(score)
            elif packed is _ZERO:
                score = self._zeros[topic.id]
            else:
                score = _unpack(topic.id, packed)
            scores[topic.id] = score
        return scores, kind, kind_reason, fresh

    def _under_floor(self, topic: Topic, text: PaperText) -> bool:
        """Whether the topic scores under the floor for sure, without scoring it: none of its
        rules can match, and its similarity alone falls short."""
        if any(text.may_match(rule) for rule in topic.rules):
            return False
        return not self.similarity or self.similarity.points(text.slug, topic.id) < self.floor

    def explain(self, slug: str, assignment: Assignment) -> Assignment:
        return self.similarity.explain(slug, assignment) if self.similarity else assignment

    def assign(self, paper: Paper) -> AssignedPaper:
        return self.assign_keeping(paper)[0]

    def assign_packed(self, paper: Paper) -> tuple[PackedAssignment, dict[str, Any]]:
        """`assign_keeping`, with the assignment as plain tuples (`pack_assigned`): what a forked
        child hands back."""
        assigned, fresh = self.assign_keeping(paper)
        return pack_assigned(assigned), fresh

    def assign_keeping(self, paper: Paper) -> tuple[AssignedPaper, dict[str, Any]]:
        """The paper's topics and kind, and the scores made anew for it (see `remember`)."""
        settings = self.taxonomy.settings
        scores, kind, kind_reason, fresh = self._scores(paper)
        top_level = [scores[t.id] for t in self.taxonomy.topics]
        chosen, order_note = apply_precedence(
            choose(top_level, settings, self.by_id), self.by_id, settings.precedence_ratio
        )
        subtopics: list[TopicScore] = []
        for top in chosen:
            subtopics.extend(_choose_descendants(self.by_id[top.topic_id], scores, settings))
        chosen_ids = {c.topic_id for c in chosen}
        near_floor = settings.threshold * NEAR_RATIO
        near = tuple(
            (s.topic_id, s.score)
            for s in sorted(top_level, key=lambda s: -s.score)
            if s.topic_id not in chosen_ids and near_floor <= s.score
        )
        assigned = AssignedPaper(
            paper=paper,
            topics=tuple(self._explain_keeping(paper.slug, s, fresh) for s in chosen),
            subtopics=tuple(self._explain_keeping(paper.slug, s, fresh) for s in subtopics),
            kind=kind,
            kind_reason=kind_reason,
            order_note=order_note,
            near=near[:2],
        )
        return assigned, fresh

    def _explain_keeping(self, slug: str, score: TopicScore, fresh: dict[str, Any]) -> Assignment:
        """`explain`, with the closest examples kept beside the topic's scores for the next build."""
        assignment = as_assignment(score)
        if not self.similarity or not _says_similar(assignment):
            return assignment
        key = self.score_keys[score.topic_id] + LIKE
        like = _kept(self.kept, key, slug, None)
        if like is None:
            like = fresh[key] = self.similarity.like(slug, score.topic_id)
        return self.similarity.explain(slug, assignment, like)

    def remember(self, papers: Sequence[Paper], fresh: Iterable[dict[str, Any]]) -> dict[str, Any]:
        """What to keep for the next build: the `kept` scores still valid plus the `fresh` ones.

        Only scores that can decide something are kept: those at or above the floor (what a
        "possibly related" topic needs). The rest read as 0 (`_kept`), which decides the same,
        so a survey of 50,000 papers keeps a few of its 37 scores each, not all of them. The floor
        is kept too: a build with a lower threshold cannot use them."""
        valid = {key + suffix for key in self.score_keys.values() for suffix in ("", LIKE)}
        kept: dict[str, Any] = {key: dict(scores) for key, scores in self.kept.items() if key in valid}
        for key in self.score_keys.values():
            kept.setdefault(key, {})  # made this build, if not kept: its papers' scores follow
        for paper, made in zip(papers, fresh, strict=True):
            for key, value in made.items():
                entry = kept.setdefault(key, {})
                if value != _ZERO:
                    entry[paper.slug] = value
        kept[FLOOR] = self.floor
        return kept


KINDS = "(kinds)"  # the score key of the kind assignment
FLOOR = "(floor)"  # the lowest score the kept scores include
LIKE = "+like"  # suffix of a topic's score key for its "similar to" explanations
KeptScores = dict[str, Any]  # slug → packed TopicScore, (kind, reason) or a "similar to" text


def _kept(kept: Mapping[str, KeptScores], key: str, slug: str, zero: Any) -> Any:
    """A kept score: None when none is kept for `key`, `zero` for a paper left out as zero."""
    entry = kept.get(key)
    return None if entry is None else entry.get(slug, zero)


_ZERO = (0.0, (), None)  # a packed zero score with no match, the common case


def _pack(score: TopicScore) -> tuple[Any, ...]:
    """A score as plain tuples: pickled and read back several times faster than dataclasses."""
    return (float(score.score), _pack_matches(score.matches), score.excluded_by)


def _unpack(topic_id: str, packed: tuple[Any, ...]) -> TopicScore:
    score, matches, excluded_by = packed
    return TopicScore(topic_id, score, _unpack_matches(matches), excluded_by)


def _pack_matches(matches: Iterable[Match]) -> tuple[tuple[str, str, float], ...]:
    return tuple((m.text, m.field, m.points) for m in matches)


def _unpack_matches(packed: Iterable[tuple[str, str, float]]) -> tuple[Match, ...]:
    return tuple(Match(*m) for m in packed)


PackedAssignment = tuple[Any, ...]


def pack_assigned(assigned: AssignedPaper) -> PackedAssignment:
    """What `assign_keeping` decides for a paper, as plain tuples and without the paper itself:
    a forked child's share of a large survey comes back pickled, and dataclasses pickle and read
    back several times slower (and the parent has the papers already)."""
    return (
        tuple(_pack_assignment(a) for a in assigned.topics),
        tuple(_pack_assignment(a) for a in assigned.subtopics),
        assigned.kind,
        assigned.kind_reason,
        assigned.order_note,
        assigned.near,
    )


def unpack_assigned(paper: Paper, packed: PackedAssignment) -> AssignedPaper:
    topics, subtopics, kind, kind_reason, order_note, near = packed
    return AssignedPaper(
        paper=paper,
        topics=tuple(_unpack_assignment(*a) for a in topics),
        subtopics=tuple(_unpack_assignment(*a) for a in subtopics),
        kind=kind,
        kind_reason=kind_reason,
        order_note=order_note,
        near=near,
    )


def _pack_assignment(assignment: Assignment) -> tuple[Any, ...]:
    return (assignment.topic_id, assignment.score, _pack_matches(assignment.matches))


def _unpack_assignment(topic_id: str, score: float, matches: tuple[Any, ...]) -> Assignment:
    return Assignment(topic_id, score, _unpack_matches(matches))


def _rule_key(rule: Rule) -> tuple[Any, ...]:
    return (rule.weight, rule.scope, rule.phrases, rule.pattern, rule.if_kind)  # not its line


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


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
