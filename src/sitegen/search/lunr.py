"""Build the search index at build time with Python's lunr, for lunr.js to load in the browser.

Titles are boosted over abstracts so a paper named after the query ranks above one that only
mentions it. A paper's ref in the index is its position in search-docs.json, not its slug: the
index repeats a ref in every posting, and short refs make it a quarter of the size.
Knows nothing of templates: it returns JSON-ready data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lunr import __VERSION__ as LUNR_VERSION
from lunr.builder import Builder
from lunr.idf import idf
from lunr.pipeline import Pipeline
from lunr.stemmer import stemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.trimmer import trimmer
from lunr.vector import Vector

from ..models import AssignedPaper, Paper

TITLE_BOOST = 10


def search_index_inputs(papers: Sequence[Paper]) -> dict[str, Any]:
    """Everything the index is made from: the cache key for reusing it. `papers` are the
    published ones in the site's order, since a ref is a position in search-docs.json."""
    return {
        "documents": [
            {"id": str(position), "title": p.title, "abstract": p.abstract}
            for position, p in enumerate(papers)
        ],
        "title_boost": TITLE_BOOST,
        "lunr": LUNR_VERSION,
    }


def build_search_index(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A serialized Lunr index (what `lunr.Index.load` accepts) from `search_index_inputs`.

    Made from those inputs alone, so the cache key that hashes them covers everything it uses.
    """
    terms = _TermMaker()
    builder = _TermBuilder()
    builder.ref("id")
    builder.field("title", boost=inputs["title_boost"])
    builder.field("abstract", boost=1)
    builder.search_pipeline.add(stemmer)  # what lunr.js runs on the words of a query
    for doc in inputs["documents"]:
        builder.add_terms(doc["id"], {"title": terms(doc["title"]), "abstract": terms(doc["abstract"])})
    index = builder.build()
    return index.serialize()


def search_index_json(inputs: Mapping[str, Any]) -> bytes:
    """The index as the bytes of search-index.json."""
    return dump_json(build_search_index(inputs))


def dump_json(data: Any) -> bytes:
    """Deterministic JSON, as the site's other data files are written."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


_SEPARATOR = re.compile(r"[ \t\n\r\f\v\xa0-]+")  # lunr's tokenizer splits on exactly these


def text_terms(text: str) -> list[str]:
    """A text's index terms, as the search page matches them (stemmed, stop words dropped)."""
    return _TEXT_TERMS(text)


class _TermMaker:
    """A field's index terms: lunr's own tokenizer rule and pipeline (trimmer, stop words, Porter
    stemmer), run once per distinct word instead of once per occurrence.

    lunr indexes a list field as given, so the builder gets the finished terms; a survey repeats
    its words thousands of times, which makes this most of the index's cost saved. A test checks
    the index is identical to lunr's own on the default survey."""

    def __init__(self) -> None:
        self.pipeline = Pipeline()
        self.pipeline.add(trimmer, stop_word_filter, stemmer)
        self.known: dict[str, list[str]] = {}

    def __call__(self, text: str) -> list[str]:
        out: list[str] = []
        for word in _SEPARATOR.split(text.lower()):
            if not word:
                continue
            done = self.known.get(word)
            if done is None:  # lowered again as lunr's tokenizer does with a list field's items
                done = self.known[word] = [term.lower() for term in self.pipeline.run_string(word)]
            out.extend(done)
        return out


class _TermBuilder(Builder):
    """lunr's Builder fed finished terms (`_TermMaker`): the same index as `Builder.add` makes,
    without a Token object and a deep-copied metadata dict per word occurrence, and with each
    document's vector made in one sort instead of one insertion per term — together most of the
    builder's own time. The term counts and the scoring formula are lunr's, in lunr's order."""

    def add_terms(self, doc_ref: str, fields: Mapping[str, list[str]]) -> None:
        """What `Builder.add` does for a document whose fields are lists of terms."""
        self._documents[doc_ref] = {}
        self.document_count += 1
        for field_name in self._fields:
            terms = fields[field_name]
            counts: dict[str, int] = {}
            for term in terms:
                counts[term] = counts.get(term, 0) + 1
            field_ref = f"{field_name}/{doc_ref}"  # str(lunr.FieldRef(doc_ref, field_name))
            self.field_term_frequencies[field_ref] = counts
            self.field_lengths[field_ref] = len(terms)
            for term in counts:  # first occurrences in order: they number the index's terms
                posting = self.inverted_index.get(term)
                if posting is None:
                    posting = self.inverted_index[term] = {name: {} for name in self._fields}
                    posting["_index"] = self.term_index
                    self.term_index += 1
                posting[field_name][doc_ref] = {}  # no metadata is kept (lunr's default)

    def _create_field_vectors(self) -> None:
        k1, b = self._k1, self._b
        idf_of: dict[str, float] = {}
        vectors = {}
        for field_ref, counts in self.field_term_frequencies.items():
            field_name, doc_ref = field_ref.split("/", 1)
            length_ratio = self.field_lengths[field_ref] / self.average_field_length[field_name]
            field_boost = self._fields[field_name].boost
            doc_boost = self._documents[doc_ref].get("boost", 1)
            elements = []
            for term, tf in counts.items():
                posting = self.inverted_index[term]
                term_idf = idf_of.get(term)
                if term_idf is None:
                    term_idf = idf_of[term] = idf(posting, self.document_count)
                score = term_idf * ((k1 + 1) * tf) / (k1 * (1 - b + b * length_ratio) + tf)
                score *= field_boost
                score *= doc_boost
                elements.append((posting["_index"], round(score, 3)))
            elements.sort()
            vectors[field_ref] = Vector([value for element in elements for value in element])
        self.field_vectors = vectors


def search_documents(papers: Sequence[AssignedPaper], paper_url: Any) -> list[dict[str, Any]]:
    """What the search page shows and filters on, in index-ref order.

    The whole abstract is kept so the page can show the passage around the matched words; the
    topic list holds subtopics too, so a filter on a subtopic finds its papers."""
    return [
        {
            "id": p.slug,
            "title": p.paper.title,
            "url": paper_url(p.slug),
            "abstract": p.paper.abstract,
            "date": p.paper.date.isoformat() if p.paper.date else None,
            "topics": [a.topic_id for a in (*p.topics, *p.subtopics)],
            "kind": p.kind,
            "upvotes": p.paper.upvotes,
        }
        for p in papers
    ]


_TEXT_TERMS = _TermMaker()
