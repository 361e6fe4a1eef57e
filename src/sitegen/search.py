"""Build the search index at build time with Python's lunr, for lunr.js to load in the browser.

Titles are boosted over abstracts so a paper named after the query ranks above one that only
mentions it. A paper's ref in the index is its position in search-docs.json, not its slug: the
index repeats a ref in every posting, and short refs make it a quarter of the size.
Knows nothing of templates: it returns JSON-ready data.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from lunr import __VERSION__ as LUNR_VERSION
from lunr import lunr
from lunr.builder import Builder
from lunr.stemmer import porter_stemmer
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token
from lunr.trimmer import trimmer

from .models import AssignedPaper

TITLE_BOOST = 10


def search_index_inputs(papers: Sequence[AssignedPaper]) -> dict[str, Any]:
    """Everything the index is made from: the cache key for reusing it."""
    return {
        "documents": [
            {"id": str(position), "title": p.paper.title, "abstract": p.paper.abstract}
            for position, p in enumerate(papers)
        ],
        "title_boost": TITLE_BOOST,
        "lunr": LUNR_VERSION,
    }


def build_search_index(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A serialized Lunr index (what `lunr.Index.load` accepts) from `search_index_inputs`.

    Made from those inputs alone, so the cache key that hashes them covers everything it uses.
    """
    index = lunr(
        ref="id",
        fields=[
            {"field_name": "title", "boost": inputs["title_boost"]},
            {"field_name": "abstract", "boost": 1},
        ],
        documents=inputs["documents"],
        builder=_builder(),
    )
    return index.serialize()


def _builder() -> Builder:
    """lunr's default builder, with the Porter stemmer remembered per word.

    Stemming is most of the index's cost and a survey repeats its words thousands of times. The
    function keeps the label "stemmer", so the serialized index names the pipeline lunr.js knows.
    """
    builder = Builder()
    builder.pipeline.add(trimmer, stop_word_filter, _cached_stemmer)
    builder.search_pipeline.add(_cached_stemmer)
    return builder


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return porter_stemmer.stem(word)


def _cached_stemmer(token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
    return token.update(lambda word, metadata: _stem(word))


_cached_stemmer.label = "stemmer"  # type: ignore[attr-defined]


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
