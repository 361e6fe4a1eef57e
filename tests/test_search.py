"""The Python side of search: the index sitegen builds is exactly the one lunr.py would build."""

from __future__ import annotations

import json

from lunr import lunr

from sitegen.ingest.listings import parse_listing
from sitegen.ingest.merge import merge_duplicates
from sitegen.models import Paper
from sitegen.search.lunr import TITLE_BOOST, build_search_index, search_index_inputs

from .conftest import ROOT

EDGE_CASES = Paper(
    slug="edge",
    title="Self-Rewarding—LLMs: 'Quoted' (parenthesised) words -- and the\u00a0non-breaking space",
    abstract="Multi-  -hyphen   runs, the the a an of; “curly” ... 3.5x TL;DR İstanbul straße x-y-z - --",
    sources=(),
)


def test_terms_made_once_per_word_give_lunr_s_own_index() -> None:
    """Issue 6: sitegen runs lunr's pipeline once per distinct word, not per occurrence, and hands
    lunr's builder finished terms (`_TermBuilder`); the index must be exactly the one lunr itself
    builds from the raw text, on real listings and on awkward text."""
    source = ROOT / "content" / "sources"
    papers = [
        paper
        for path in sorted(source.glob("*.txt"))
        for paper in merge_duplicates(parse_listing(path.read_text(encoding="utf-8"), path).papers)
    ] + [EDGE_CASES]
    documents = [{"id": str(i), "title": p.title, "abstract": p.abstract} for i, p in enumerate(papers)]
    fields = [{"field_name": "title", "boost": TITLE_BOOST}, {"field_name": "abstract", "boost": 1}]
    expected = lunr(ref="id", fields=fields, documents=documents).serialize()
    ours = build_search_index(search_index_inputs(papers))
    assert ours["pipeline"] == ["stemmer"]
    assert json.dumps(ours, sort_keys=True) == json.dumps(expected, sort_keys=True)


def test_the_default_survey_s_index_stays_small_enough_to_fetch(default_site) -> None:
    """Issue 6: at most 300 KB gzipped for the default survey."""
    import gzip

    index = (default_site / "search-index.json").read_bytes()
    assert len(gzip.compress(index, 9)) <= 300_000
