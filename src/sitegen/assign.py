"""Stage 4: give each paper its topics and kind, each decision with the matches behind it.

A rule is a list of phrases (or a regular expression) with a weight. A phrase found in the title
counts double, because a title states what the paper is about; found in the abstract it counts
once, a little more when repeated. A topic's score is the sum of its rules (zero if an
exclusion matches) plus its similarity to the topic's description and examples. A paper gets
every top-level topic that clears the threshold and is not far behind its best one, ordered by
score and then by the editors' precedence (`before`); within each, the subtopics that do the same.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import cache

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
from .similarity import PaperVectors, TopicProfiles, build_profiles, paper_vectors
from .textmatch import Phrase, TextIndex, compile_phrase

TITLE_FACTOR = 2.0
REPEAT_BONUS = 0.5  # per extra mention in the abstract…
MAX_REPEATS = 3  # …counting at most this many mentions


@cache
def pattern_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class _CompiledRule:
    by_key: dict[str, tuple[Phrase, ...]]  # a word that must occur → the exact phrases needing it
    wildcards: tuple[Phrase, ...]


@cache
def _compile_rule(rule: Rule) -> _CompiledRule:
    """Index a rule's exact phrases by their longest word (the rarest, usually) and by the
    words written as one, so a text is tested against a rule with one set intersection."""
    by_key: dict[str, list[Phrase]] = {}
    wildcards = []
    # dict.fromkeys drops repeats ("instruction tuning", "instruction-tuning") so none counts twice.
    for phrase in dict.fromkeys(map(compile_phrase, rule.phrases)):
        if phrase.wildcard:
            wildcards.append(phrase)
        elif phrase.words:
            for key in {max(phrase.words, key=len), phrase.joined}:
                by_key.setdefault(key, []).append(phrase)
    return _CompiledRule({k: tuple(v) for k, v in by_key.items()}, tuple(wildcards))


Candidates = dict[Rule, set[Phrase]]
PREFIX_KEY = 3  # wildcard prefixes are bucketed by their first letters


class RuleIndex:
    """Every phrase of every rule of a taxonomy, indexed by the words that must occur for it.

    One pass over a text's distinct words then tells which rules can match it at all — a handful
    out of hundreds — instead of testing every rule against every paper."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: set[Rule] = set()
        self.by_word: dict[str, list[tuple[Rule, Phrase]]] = {}
        self.by_prefix: dict[str, list[tuple[Rule, Phrase, str]]] = {}
        self.short_prefixes: list[tuple[Rule, Phrase, str]] = []
        for rule in rules:
            self.rules.add(rule)
            compiled = _compile_rule(rule)
            for key, phrases in compiled.by_key.items():
                self.by_word.setdefault(key, []).extend((rule, p) for p in phrases)
            for phrase in compiled.wildcards:
                if not phrase.words:
                    continue
                if len(phrase.words) > 1:  # "instruction tun*": the first word is exact…
                    self.by_word.setdefault(phrase.words[0], []).append((rule, phrase))
                self._add_prefix(rule, phrase, phrase.joined)  # …or all written as one, any ending

    def _add_prefix(self, rule: Rule, phrase: Phrase, prefix: str) -> None:
        if len(prefix) < PREFIX_KEY:
            self.short_prefixes.append((rule, phrase, prefix))
        else:
            self.by_prefix.setdefault(prefix[:PREFIX_KEY], []).append((rule, phrase, prefix))

    def candidates(self, text: TextIndex) -> Candidates:
        """rule → the phrases of it that may occur in the text (verified later by `find`)."""
        found: Candidates = {}
        for token in text.words:
            for rule, phrase in self.by_word.get(token, ()):
                found.setdefault(rule, set()).add(phrase)
            for rule, phrase, prefix in self.by_prefix.get(token[:PREFIX_KEY], ()):
                if token.startswith(prefix):
                    found.setdefault(rule, set()).add(phrase)
            for rule, phrase, prefix in self.short_prefixes:
                if token.startswith(prefix):
                    found.setdefault(rule, set()).add(phrase)
        return found


@dataclass
class PaperText:
    """A paper's title and abstract, tokenised once for all rules."""

    slug: str
    title: TextIndex
    abstract: TextIndex
    kind: str | None = None  # set once the kind is known, for rules with `if_kind`
    index: RuleIndex | None = None
    title_candidates: Candidates | None = None
    abstract_candidates: Candidates | None = None

    @classmethod
    def of(cls, paper: Paper, index: RuleIndex | None = None) -> PaperText:
        text = cls(paper.slug, TextIndex(paper.title), TextIndex(paper.abstract), index=index)
        if index is not None:
            text.title_candidates = index.candidates(text.title)
            text.abstract_candidates = index.candidates(text.abstract)
        return text

    def phrases(self, rule: Rule, field: str) -> AbstractSet[Phrase] | None:
        """The rule's phrases that may occur in a field; None means "test them all"."""
        if self.index is None or rule not in self.index.rules:
            return None
        found = self.title_candidates if field == "title" else self.abstract_candidates
        return (found or {}).get(rule, _NO_PHRASES)


_NO_PHRASES: AbstractSet[Phrase] = frozenset()


def rule_index(taxonomy: Taxonomy) -> RuleIndex:
    """The index of every topic rule and kind rule of a taxonomy."""
    return RuleIndex([r for t in taxonomy.walk() for r in t.rules] + [k.rule for k in taxonomy.kind_rules])


def _hits(rule: Rule, text: TextIndex, phrases: AbstractSet[Phrase] | None = None) -> list[str]:
    compiled = _compile_rule(rule)
    if phrases is None:
        keys = compiled.by_key.keys() & text.words
        exact = {p for key in keys for p in compiled.by_key[key]}
        wildcards: Iterable[Phrase] = compiled.wildcards
    else:
        exact = {p for p in phrases if not p.wildcard}
        wildcards = [p for p in compiled.wildcards if p in phrases]
    # Sorted, because set order changes between runs and the first hit is shown as the reason.
    hits = [hit for phrase in sorted(exact, key=lambda p: (p.words, p.joined)) for hit in text.find(phrase)]
    for phrase in wildcards:
        hits.extend(text.find(phrase))
    if rule.pattern:
        hits.extend(m.group(0) for m in pattern_regex(rule.pattern).finditer(text.text))
    return hits


def _field_hits(rule: Rule, text: PaperText, field: str) -> list[str]:
    phrases = text.phrases(rule, field)
    if phrases is not None and not phrases and not rule.pattern:
        return []  # the rule index says none of its phrases occurs here
    return _hits(rule, text.title if field == "title" else text.abstract, phrases)


def score_rule(rule: Rule, text: PaperText) -> list[Match]:
    """The matches of one rule, each with the points it adds."""
    if rule.if_kind:
        return [Match(f"kind {rule.if_kind}", "kind", rule.weight)] if text.kind == rule.if_kind else []
    matches: list[Match] = []
    if rule.scope in ("title", "both"):
        title_hits = _field_hits(rule, text, "title")
        if title_hits:
            matches.append(Match(title_hits[0], "title", round(rule.weight * TITLE_FACTOR, 2)))
    if rule.scope in ("abstract", "both"):
        hits = _field_hits(rule, text, "abstract")
        if hits:
            extra = min(len(hits), MAX_REPEATS) - 1
            points = rule.weight * (1 + REPEAT_BONUS * extra)
            matches.append(
                Match(hits[0], "abstract" if len(hits) == 1 else f"abstract ×{len(hits)}", round(points, 2))
            )
    return matches


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

    def match(self, slug: str, topic_id: str) -> Match | None:
        points = round(self.weight * self.profiles.similarity(slug, topic_id), 2)
        return Match(SIMILAR_PLACEHOLDER, "similar to", points) if points > 0 else None

    def explain(self, slug: str, assignment: Assignment) -> Assignment:
        """Name the closest example papers, only for assignments a reader will see."""
        closest = self.profiles.closest_examples(slug, assignment.topic_id)
        like = "; ".join(self.titles[ex] for ex, _ in closest) or "the topic's description"
        matches = tuple(
            replace(m, text=like) if m.text == SIMILAR_PLACEHOLDER else m for m in assignment.matches
        )
        return replace(assignment, matches=matches)


def score_topic(topic: Topic, text: PaperText, similarity: Similarity | None = None) -> TopicScore:
    """A topic's own score for a paper (its subtopics are scored separately)."""
    for phrase in topic.exclude:
        found = text.title.find(compile_phrase(phrase)) or text.abstract.find(compile_phrase(phrase))
        if found:
            return TopicScore(topic.id, 0.0, (), excluded_by=found[0])
    matches = [m for rule in topic.rules for m in score_rule(rule, text)]
    similar = similarity.match(text.slug, topic.id) if similarity else None
    if similar:
        matches.append(similar)
    return TopicScore(topic.id, round(sum(m.points for m in matches), 2), tuple(matches))


def score_tree(
    taxonomy: Taxonomy, text: PaperText, similarity: Similarity | None = None
) -> dict[str, TopicScore]:
    """Every topic's own score. Subtopic rules only choose among the subtopics of a parent the
    paper already belongs to: a broad subtopic phrase never pulls a paper into its parent."""
    return {topic.id: score_topic(topic, text, similarity) for topic in taxonomy.walk()}


def choose(candidates: list[TopicScore], settings: AssignSettings) -> list[TopicScore]:
    """Topics above the threshold and within `secondary_ratio` of the best, best first."""
    passing = sorted(
        (c for c in candidates if c.score >= settings.threshold), key=lambda c: (-c.score, c.topic_id)
    )
    if not passing:
        return []
    floor = passing[0].score * settings.secondary_ratio
    return [c for c in passing if c.score >= floor][: settings.max_topics]


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
        text: PaperVectors | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.by_id = taxonomy.by_id()
        self.rule_index = rule_index(taxonomy)
        self.similarity: Similarity | None = None
        if taxonomy.settings.similarity_weight > 0:
            profiles = build_profiles(text or paper_vectors(papers), taxonomy, examples or {})
            titles = {p.slug: p.title for p in papers}
            self.similarity = Similarity(profiles, titles, taxonomy.settings.similarity_weight)

    def scores(self, paper: Paper) -> tuple[dict[str, TopicScore], str, str]:
        """Every topic's score for the paper, plus its kind and the kind's reason."""
        text = PaperText.of(paper, self.rule_index)
        kind, kind_reason = assign_kind(text, self.taxonomy)
        text.kind = kind
        return score_tree(self.taxonomy, text, self.similarity), kind, kind_reason

    def explain(self, slug: str, assignment: Assignment) -> Assignment:
        return self.similarity.explain(slug, assignment) if self.similarity else assignment

    def assign(self, paper: Paper) -> AssignedPaper:
        settings = self.taxonomy.settings
        scores, kind, kind_reason = self.scores(paper)
        top_level = [scores[t.id] for t in self.taxonomy.topics]
        chosen, order_note = apply_precedence(
            choose(top_level, settings), self.by_id, settings.precedence_ratio
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
    chosen = choose([scores[c.id] for c in topic.children], settings)
    by_id = {c.id: c for c in topic.children}
    out = list(chosen)
    for child in chosen:
        out.extend(_choose_descendants(by_id[child.topic_id], scores, settings))
    return out


def as_assignment(score: TopicScore) -> Assignment:
    return Assignment(topic_id=score.topic_id, score=score.score, matches=score.matches)


def assign_kind(text: PaperText, taxonomy: Taxonomy) -> tuple[str, str]:
    """The kind with the highest rule score above the kind threshold, else the default."""
    totals: dict[str, list[Match]] = {}
    for kind_rule in taxonomy.kind_rules:
        totals.setdefault(kind_rule.kind, []).extend(score_rule(kind_rule.rule, text))
    ranked = sorted(
        ((sum(m.points for m in ms), kind, ms) for kind, ms in totals.items() if ms),
        key=lambda t: (-t[0], t[1]),
    )
    settings = taxonomy.settings
    if ranked and ranked[0][0] >= settings.kind_threshold:
        _, kind, matches = ranked[0]
        return kind, "; ".join(str(m) for m in matches)
    return settings.default_kind, "the default kind: no kind rule matched strongly enough"
