"""A taxonomy's rules matched against one paper's text, each match with its points.

A rule is a list of phrases (or a regular expression) with a weight. A phrase found in the title
counts double, because a title states what the paper is about; found in the abstract it counts
once, a little more when repeated. One `PhraseScanner` pass over a paper's title and abstract
finds every rule's phrases at once (`RuleIndex`), so only the few rules that match are scored.
Topic rules feed `assign`'s topic scores; kind rules decide the paper's kind here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache

from ..models import Match, Paper, Rule, Taxonomy
from .textmatch import Phrase, PhraseScanner, TextIndex, TokenRun, compile_phrase

TITLE_FACTOR = 2.0
REPEAT_BONUS = 0.5  # per extra mention in the abstract…
MAX_REPEATS = 3  # …counting at most this many mentions


@cache
def _phrases_in_order(rule: Rule) -> tuple[Phrase, ...]:
    """A rule's distinct phrases in the order their hits are listed: the exact ones sorted (set
    order changes between runs and the first hit is shown as the reason), then the wildcards."""
    # dict.fromkeys drops repeats ("instruction tuning", "instruction-tuning") so none counts twice.
    phrases = [p for p in dict.fromkeys(map(compile_phrase, rule.phrases)) if p.words]
    exact = sorted((p for p in phrases if not p.wildcard), key=lambda p: (p.words, p.joined))
    return (*exact, *(p for p in phrases if p.wildcard))


class RuleIndex:
    """Every phrase of every rule of a taxonomy (and of its exclusions), for one `PhraseScanner`
    pass per text: that pass tells which rules match a paper at all — a handful out of
    hundreds — and where, instead of testing every rule's phrases against every paper."""

    def __init__(self, rules: Iterable[Rule], exclusions: Iterable[str] = ()) -> None:
        self.rules: set[Rule] = set(rules)
        # phrase → each rule it belongs to, with its place in that rule's order of hits
        self.rules_of: dict[Phrase, list[tuple[Rule, int]]] = {}
        for rule in self.rules:
            for place, phrase in enumerate(_phrases_in_order(rule)):
                self.rules_of.setdefault(phrase, []).append((rule, place))
        self.scanner = PhraseScanner([*self.rules_of, *map(compile_phrase, exclusions)])

    def by_rule(self, found: Mapping[Phrase, list[TokenRun]]) -> dict[Rule, list[Phrase]]:
        """rule → its phrases among those `found` in a text, in the order its hits are listed."""
        placed: dict[Rule, list[tuple[int, Phrase]]] = {}
        rules_of = self.rules_of
        for phrase in found:
            for rule, place in rules_of.get(phrase, ()):
                placed.setdefault(rule, []).append((place, phrase))
        return {
            rule: [p for _, p in (sorted(pairs) if len(pairs) > 1 else pairs)]
            for rule, pairs in placed.items()
        }


@dataclass
class PaperText:
    """A paper's title and abstract, tokenised and scanned once for all rules."""

    slug: str
    title: TextIndex
    abstract: TextIndex
    kind: str | None = None  # set once the kind is known, for rules with `if_kind`
    index: RuleIndex | None = None
    title_found: dict[Phrase, list[TokenRun]] | None = None  # what the scan found (None: no scan)
    abstract_found: dict[Phrase, list[TokenRun]] | None = None
    title_rules: dict[Rule, list[Phrase]] | None = None  # the rules it found, with their phrases
    abstract_rules: dict[Rule, list[Phrase]] | None = None

    @classmethod
    def of(cls, paper: Paper, index: RuleIndex | None = None) -> PaperText:
        text = cls(paper.slug, TextIndex(paper.title), TextIndex(paper.abstract), index=index)
        if index is not None:
            text.title_found = index.scanner.scan(text.title.tokens)
            text.abstract_found = index.scanner.scan(text.abstract.tokens)
            text.title_rules = index.by_rule(text.title_found)
            text.abstract_rules = index.by_rule(text.abstract_found)
        return text

    def may_match(self, rule: Rule) -> bool:
        """False when the scan found none of the rule's phrases (most rules, most papers): then
        the rule need not be scored at all."""
        if rule.pattern is not None or rule.if_kind is not None or not self._indexed(rule):
            return True
        return rule in self.candidate_rules

    def _indexed(self, rule: Rule) -> bool:
        """Whether the scan looked for this rule's phrases (its findings speak for it)."""
        return self.index is not None and rule in self.index.rules

    @functools.cached_property
    def candidate_rules(self) -> AbstractSet[Rule]:
        return (self.title_rules or {}).keys() | (self.abstract_rules or {}).keys()

    def field(
        self, name: str
    ) -> tuple[TextIndex, dict[Phrase, list[TokenRun]] | None, dict[Rule, list[Phrase]] | None]:
        """The title or the abstract, and what the scan found in it: phrases, and rules with
        their phrases (None: no scan)."""
        if name == "title":
            return self.title, self.title_found, self.title_rules
        return self.abstract, self.abstract_found, self.abstract_rules

    def find(self, phrase: Phrase, field: str) -> list[str]:
        """Every occurrence of the phrase in the title or abstract, from the scan if it looked."""
        text, found, _ = self.field(field)
        if found is None or self.index is None or phrase not in self.index.scanner.phrases:
            return text.find(phrase)
        return [text.written(*run) for run in found.get(phrase, ())]


def rule_index(taxonomy: Taxonomy) -> RuleIndex:
    """The index of every topic rule, kind rule and exclusion of a taxonomy."""
    topics = taxonomy.walk()
    rules = [r for t in topics for r in t.rules] + [k.rule for k in taxonomy.kind_rules]
    return RuleIndex(rules, [phrase for t in topics for phrase in t.exclude])


def _field_hits(rule: Rule, text: PaperText, field: str) -> list[list[str]]:
    """The rule's hits in one field, grouped by the phrase they match (its phrases in order, then
    its pattern), each hit as the text writes it."""
    target, found, found_rules = text.field(field)
    if found is not None and found_rules is not None and text._indexed(rule):
        groups = [[target.written(*run) for run in found[phrase]] for phrase in found_rules.get(rule, ())]
    else:
        groups = [target.find(phrase) for phrase in _phrases_in_order(rule)]
    if rule.pattern:
        groups.append(target.pattern_hits(rule.pattern))
    return [hits for hits in groups if hits]


def score_rule(rule: Rule, text: PaperText) -> list[Match]:
    """The matches of one rule, each with the points it adds."""
    if rule.if_kind:
        return [Match(f"kind {rule.if_kind}", "kind", rule.weight)] if text.kind == rule.if_kind else []
    matches: list[Match] = []
    if rule.scope in ("title", "both"):
        title_hits = _field_hits(rule, text, "title")
        if title_hits:
            matches.append(Match(title_hits[0][0], "title", round(rule.weight * TITLE_FACTOR, 2)))
    if rule.scope in ("abstract", "both"):
        groups = _field_hits(rule, text, "abstract")
        count = sum(len(hits) for hits in groups)
        if count:
            points = rule.weight * (1 + REPEAT_BONUS * (min(count, MAX_REPEATS) - 1))
            matches.append(_abstract_match(groups, round(points, 2)))
    return matches


def _abstract_match(groups: list[list[str]], points: float) -> Match:
    """The abstract's match: with one phrase, its first hit and the count in the field's name;
    with several, each phrase's first hit with its own count."""
    if len(groups) == 1:
        hits = groups[0]
        return Match(hits[0], "abstract" if len(hits) == 1 else f"abstract ×{len(hits)}", points)
    ordered = sorted(groups, key=len, reverse=True)  # the most frequent first (a stable sort)
    shown = ", ".join(f"“{hits[0]}”" + (f" ×{len(hits)}" if len(hits) > 1 else "") for hits in ordered)
    return Match(shown, "abstract", points)


def assign_kind(text: PaperText, taxonomy: Taxonomy) -> tuple[str, str]:
    """The kind with the highest rule score above the kind threshold (the uncontested threshold
    when no other kind's rules matched), else the default."""
    totals: dict[str, list[Match]] = {}
    for kind_rule in taxonomy.kind_rules:
        totals.setdefault(kind_rule.kind, []).extend(score_rule(kind_rule.rule, text))
    ranked = sorted(
        ((sum(m.points for m in ms), kind, ms) for kind, ms in totals.items() if ms),
        key=lambda t: (-t[0], t[1]),
    )
    settings = taxonomy.settings
    threshold = settings.kind_threshold
    if len(ranked) == 1 and settings.kind_uncontested_threshold is not None:
        threshold = min(threshold, settings.kind_uncontested_threshold)
    if ranked and ranked[0][0] >= threshold:
        points, kind, matches = ranked[0]
        reason = "; ".join(str(m) for m in matches)
        if points < settings.kind_threshold:  # enough only because nothing spoke against it
            reason += "; no other kind's rules matched"
        return kind, reason
    return settings.default_kind, "the default kind: no kind rule matched strongly enough"
