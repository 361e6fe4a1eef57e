"""Text similarity between papers and topics, so a topic can be taught by example.

Each topic gets a profile: a TF-IDF vector of its title and description plus the papers an
editor lists as its examples (a parent also learns from its subtopics). A paper's similarity to
a topic is the cosine between its own vector and the profile, a number in [0, 1] that the
assignment stage scales into points comparable with rule points. Words are lowercased, stop
words dropped, plurals folded, and adjacent word pairs kept as features ("reward model").
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..models import Paper, Taxonomy, Topic

Vector = dict[str, float]

_STOPWORD_TEXT = """
a about above across after again against all also although am among an and any are as at be
because been before being below between both but by can could did do does doing done down
during each either et etc few for from further had has have having he her here hers him his how
however i if in into is it its itself just may me might more most much must my no nor not now
of off on once only or other our ours out over own per rather same she should so some such than
that the their them then there these they this those through thus to too under until up upon us
use used uses using very via was we were what when where whether which while who whom why will
with within without would yet you your paper propose proposed show shows shown results result
method methods approach approaches model models language large llm llms based new novel work
existing different various significant significantly performance achieve achieves improve
improves improved improving task tasks study demonstrate effective effectively experiments
first two three one however
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[a-z][a-z0-9\-]*[a-z0-9]|[a-z]")


def words(text: str) -> list[str]:
    """Content words, lowercased, plurals folded ("models" → "model")."""
    return list(filter(None, map(_FOLDED.__getitem__, _WORD.findall(text.lower()))))


class _Folded(dict[str, str]):
    """word → its content word ("models" → "model"), or "" for a stop word or a short one.

    Worked out once per distinct word and looked up in C afterwards: a survey's papers repeat
    a few thousand words hundreds of thousands of times. The words are interned (see `features`)."""

    def __missing__(self, word: str) -> str:
        folded = "" if len(word) < 3 or word in STOPWORDS else sys.intern(_fold_plural(word))
        if len(self) < _FOLDED_LIMIT:  # a bound for a long-lived `sitegen serve`
            self[word] = folded
        return folded


_FOLDED_LIMIT = 1_000_000


def _fold_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


_FOLDED = _Folded()


def features(text: str) -> list[str]:
    """Words plus adjacent word pairs: pairs carry most of a field's vocabulary.

    Interned: a term shared by thousands of papers' vectors is then one string, not one per
    paper (the vectors of a 10,000-paper survey: 216 → 106 MB)."""
    ws = words(text)
    return ws + list(map(sys.intern, map("{} {}".format, ws, ws[1:])))


def paper_text(paper: Paper) -> str:
    # The title says what the paper is about; counting it twice gives it that weight.
    return f"{paper.title}. {paper.title}. {paper.abstract}"


@dataclass(frozen=True)
class TfIdf:
    """Inverse document frequencies learned from the survey's own papers."""

    idf: Mapping[str, float]
    default_idf: float

    @classmethod
    def fit(cls, documents: Iterable[Sequence[str]]) -> TfIdf:
        df: Counter[str] = Counter()
        n = 0
        for doc in documents:
            n += 1
            df.update(set(doc))
        # One logarithm per distinct count, not per term: most of a survey's ~10^5 terms (word
        # pairs above all) occur in one or two papers, so a few hundred counts cover them all.
        idf_of_count = {count: math.log((n + 1) / (count + 1)) + 1.0 for count in set(df.values())}
        idf = dict(zip(df, map(idf_of_count.__getitem__, df.values()), strict=True))
        return cls(idf, math.log(n + 1) + 1.0)

    def vector(self, terms: Sequence[str]) -> Vector:
        counts = Counter(terms)
        weights = list(map(self.idf.get, counts, itertools.repeat(self.default_idf)))
        for i, count in enumerate(counts.values()):
            if count > 1:  # most terms occur once: 1 + log(1) = 1
                weights[i] *= 1 + math.log(count)
        return normalise(dict(zip(counts, weights, strict=True)))


def normalise(vec: Vector) -> Vector:
    """The vector scaled to length 1 (the arithmetic in C: one map per step, not a loop)."""
    values = vec.values()
    norm = math.sqrt(sum(map(operator.mul, values, values)))
    return (
        dict(zip(vec, map(operator.truediv, values, itertools.repeat(norm, len(vec))), strict=True))
        if norm
        else {}
    )


def add(vectors: Iterable[Vector], weights: Iterable[float] | None = None) -> Vector:
    total: dict[str, float] = {}
    for vec, w in zip(vectors, weights or _ones(), strict=False):
        for t, v in vec.items():
            total[t] = total.get(t, 0.0) + w * v
    return total


def _ones() -> Iterable[float]:
    while True:
        yield 1.0


@dataclass(frozen=True)
class TopicProfiles:
    """The survey's TF-IDF model, each paper's vector, and each topic's profile."""

    papers: Mapping[str, Vector]  # slug → vector
    profiles: Mapping[str, Vector]  # topic id → vector
    examples: Mapping[str, tuple[str, ...]]  # topic id → example slugs (its own and its subtopics')
    _by_paper: dict[str, dict[str, float]] = field(default_factory=dict, compare=False, repr=False)
    _example_postings: dict[str, dict[str, list[tuple[str, float]]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @functools.cached_property
    def postings(self) -> dict[str, tuple[tuple[int, float], ...]]:
        """term → (topic number, weight) for every profile holding the term: one pass over a
        paper's terms gives its similarity to every topic, instead of one dot product per topic.
        A topic's number is its place in `profiles`."""
        number = {topic_id: n for n, topic_id in enumerate(self.profiles)}
        return {term: tuple((number[t], w) for t, w in p) for term, p in invert(self.profiles).items()}

    def similarity(self, slug: str, topic_id: str) -> float:
        """Cosine of paper and topic; the paper's similarity to every topic is made at once."""
        by_topic = self._by_paper.get(slug)
        if by_topic is None:
            by_topic = self._by_paper[slug] = self._all_topics(slug)
        return by_topic.get(topic_id, 0.0)

    def _all_topics(self, slug: str) -> dict[str, float]:
        totals = [0.0] * len(self.profiles)  # summed by number: cheaper than by id in a dict
        postings = self.postings
        vector = self.papers.get(slug, {})
        for term in filter(postings.__contains__, vector):  # the shared terms, in the paper's order
            value = vector[term]
            for number, weight in postings[term]:
                totals[number] += value * weight
        return {topic_id: total for topic_id, total in zip(self.profiles, totals, strict=True) if total}

    def closest_examples(self, slug: str, topic_id: str, n: int = 2) -> list[tuple[str, float]]:
        """The topic's example papers most like this paper: the "similar to" of a reason.

        One pass over the paper's terms against the examples' postings, as for topics."""
        postings = self._example_postings.get(topic_id)
        if postings is None:
            postings = self._example_postings[topic_id] = self._postings_of(self.examples.get(topic_id, ()))
        totals: dict[str, float] = {}
        vector = self.papers.get(slug, {})
        for term in filter(postings.__contains__, vector):
            value = vector[term]
            for example, weight in postings[term]:
                totals[example] = totals.get(example, 0.0) + value * weight
        scored = [(ex, totals.get(ex, 0.0)) for ex in self.examples.get(topic_id, ()) if ex != slug]
        return sorted(scored, key=lambda s: (-s[1], s[0]))[:n]

    def _postings_of(self, slugs: Iterable[str]) -> dict[str, list[tuple[str, float]]]:
        return invert({slug: self.papers[slug] for slug in slugs})


def invert(vectors: Mapping[str, Vector]) -> dict[str, list[tuple[str, float]]]:
    """term → (key, weight) for every vector holding the term: a postings list, so one pass over
    a paper's terms scores it against all the vectors at once."""
    postings: dict[str, list[tuple[str, float]]] = {}
    for key, vector in vectors.items():
        for term, weight in vector.items():
            postings.setdefault(term, []).append((key, weight))
    return postings


def paper_features(paper: Paper) -> list[str]:
    return features(paper_text(paper))


@dataclass(frozen=True)
class PaperVectors:
    """The survey's TF-IDF model and each paper's vector: shared by topic profiles and related papers."""

    model: TfIdf
    vectors: Mapping[str, Vector]  # slug → unit vector


def paper_vectors(papers: Sequence[Paper]) -> PaperVectors:
    """Fit TF-IDF on the papers' own text and give each paper its vector."""
    terms = [paper_features(p) for p in papers]
    model = TfIdf.fit(terms)
    vectors = [model.vector(t) for t in terms]
    return PaperVectors(model, dict(zip((p.slug for p in papers), vectors, strict=True)))


def build_profiles(
    text: PaperVectors, taxonomy: Taxonomy, examples: Mapping[str, tuple[str, ...]]
) -> TopicProfiles:
    """Give every topic a profile from its own text and its example papers."""
    model, vectors = text.model, text.vectors
    profiles: dict[str, Vector] = {}
    all_examples: dict[str, tuple[str, ...]] = {}

    def visit(topic: Topic) -> tuple[Vector, tuple[str, ...]]:
        own_text = model.vector(features(f"{topic.title}. {topic.title}. {topic.description}"))
        own_examples = tuple(examples.get(topic.id, ()))
        parts = [own_text] + [vectors[s] for s in own_examples if s in vectors]
        gathered = own_examples
        for child in topic.children:
            child_profile, child_examples = visit(child)
            parts.append(child_profile)
            gathered += child_examples
        profile = normalise(add(parts))
        profiles[topic.id] = profile
        all_examples[topic.id] = gathered
        return profile, gathered

    for topic in taxonomy.topics:
        visit(topic)
    return TopicProfiles(vectors, profiles, all_examples)
