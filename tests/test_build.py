"""End-to-end: the default survey builds and honours the whole output contract."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lunr.index import Index

from sitegen.classify.taxonomy import load_taxonomy
from sitegen.config import load_config
from sitegen.pipeline import build
from sitegen.site.urls import version_of

from .conftest import ROOT, TOP_LEVEL
from .sitecheck import html_files, page_refs, resolve

PAPER_KEYS = {
    "id",
    "title",
    "abstract",
    "topics",
    "kind",
    "date",
    "authors_count",
    "upvotes",
    "organization",
    "url",
}
KINDS = {"method", "benchmark", "survey", "analysis", "toolkit"}


def test_output_contract_files_exist(default_site: Path) -> None:
    for name in (
        "index.html",
        "search/index.html",
        "search-index.json",
        "papers.json",
        "sitemap.xml",
        "feed.xml",
        "404.html",
        ".nojekyll",
        "about/index.html",
        "assets/vendor/lunr/lunr.js",
    ):
        assert (default_site / name).is_file(), name


def test_a_page_for_every_topic_including_nested_subtopics(default_site: Path) -> None:
    taxonomy = load_taxonomy(ROOT / "content" / "taxonomy.yaml")
    for topic in taxonomy.walk():
        page = default_site / "topics" / Path(*topic.id.split("/")) / "index.html"
        assert page.is_file(), topic.id
        assert topic.title.replace("&", "&amp;") in page.read_text(encoding="utf-8")
    assert (default_site / "topics" / "preference-alignment" / "direct-preference" / "index.html").is_file()


def test_papers_json_holds_every_paper_with_the_contract_fields(
    papers: list[dict], default_site: Path
) -> None:
    assert len(papers) == 430
    assert len({p["id"] for p in papers}) == 430
    for paper in papers:
        assert paper.keys() >= PAPER_KEYS
        assert paper["kind"] in KINDS
        assert set(paper["topics"]) <= set(TOP_LEVEL)
        assert len(paper["topics"]) == len(set(paper["topics"]))
        assert paper["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", paper["date"])
        page = default_site / "papers" / paper["id"] / "index.html"
        if paper["off_topic"]:
            assert paper["topics"] == [] and paper["url"] is None and not page.exists()
        else:
            assert page.is_file()
            assert paper["url"] == f"/papers/{paper['id']}/"
    editing = next(p for p in papers if p["title"] == "Fine-tuning Done Right in Model Editing")
    assert (editing["date"], editing["upvotes"], editing["organization"]) == ("2025-09-26", 2, "UCAS")


def test_unsorted_papers_stay_listed_and_topics_are_best_first(
    papers: list[dict], default_site: Path
) -> None:
    unsorted = [p for p in papers if not p["topics"] and not p["off_topic"]]
    unsorted_page = (default_site / "unsorted" / "index.html").read_text(encoding="utf-8")
    for paper in unsorted:
        assert f"/papers/{paper['id']}/" in unsorted_page
    lora = next(p for p in papers if p["title"] == "LoRA vs Full Fine-tuning: An Illusion of Equivalence")
    assert lora["topics"][0] == "peft"
    assert lora["kind"] == "analysis"


def test_crowded_topics_have_subtopics(papers: list[dict]) -> None:
    taxonomy = load_taxonomy(ROOT / "content" / "taxonomy.yaml")
    counts = Counter(t for p in papers for t in p["topics"])
    for topic in taxonomy.topics:
        if counts[topic.id] > 40:
            assert topic.children, f"{topic.id} lists {counts[topic.id]} papers but has no subtopics"


def test_search_index_loads_and_finds_a_paper_by_title(default_site: Path) -> None:
    data = json.loads((default_site / "search-index.json").read_text(encoding="utf-8"))
    assert data["version"] == "2.3.9"
    index = Index.load(data)
    hits = index.search("unlearning")
    assert hits
    docs = json.loads((default_site / "search-docs.json").read_text(encoding="utf-8"))
    assert len(docs) == len(list((default_site / "papers").iterdir()))
    assert docs[int(hits[0]["ref"])]["id"] in {p.name for p in (default_site / "papers").iterdir()}
    assert "unlearning" in docs[int(hits[0]["ref"])]["title"].lower()


def test_sitemap_lists_every_page_and_the_feed_is_atom(default_site: Path, papers: list[dict]) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "a": "http://www.w3.org/2005/Atom"}
    locs = {e.text for e in ET.parse(default_site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)}
    assert {f"/papers/{p['id']}/" for p in papers if not p["off_topic"]} <= locs
    assert {"/", "/search/", "/about/", "/topics/peft/low-rank/"} <= locs
    feed = ET.parse(default_site / "feed.xml").getroot()
    entries = feed.findall("a:entry", ns)
    assert 0 < len(entries) <= 50
    dates = [e.find("a:updated", ns).text for e in entries]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("fixture, base", [("default_site", "/"), ("project_path_site", "/survey/")])
def test_every_same_site_link_resolves_and_nothing_loads_from_another_host(
    fixture: str, base: str, request: pytest.FixtureRequest
) -> None:
    out: Path = request.getfixturevalue(fixture)
    broken = []
    for page in html_files(out):
        for tag, attr, url in page_refs(out / page):
            if url.startswith(("http://", "https://", "//")):
                # Only plain links may leave the site; scripts, styles and images never do.
                assert tag == "a", f"{page}: {tag} {attr}={url} loads from another host"
                continue
            if url.startswith("#") or url.startswith("mailto:"):
                continue
            if url.startswith("/"):
                if resolve(out, base, url) is None:
                    broken.append(f"{page.relative_to(out)}: {url}")
            else:  # relative links in Markdown pages
                target = (page.parent / url.split("#")[0]).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if not target.is_file():
                    broken.append(f"{page.relative_to(out)}: {url}")
    assert broken == []


def test_scripts_styles_and_search_data_are_linked_with_a_version_of_their_bytes(default_site: Path) -> None:
    # GitHub Pages lets a browser keep a file 10 minutes: after a new build a returning reader
    # must get the new script with the new page, and never an old index with newer records.
    seen = set()
    for page in html_files(default_site):
        for _, attr, url in page_refs(page):
            parts = urlsplit(url)
            if parts.path.startswith("/assets/"):
                served = resolve(default_site, "/", url)
                assert served is not None, url
                assert parts.query == f"v={version_of(served.read_bytes())}", f"{page}: {url}"
                seen.add(parts.path)
            if attr in ("data-index", "data-docs"):
                docs = (default_site / "search-docs.json").read_bytes()
                assert parts.query == f"v={version_of(docs)}", f"{page}: {url}"
                seen.add(attr)
    loaded = ("style.css", "site.js", "search-worker.js", "vendor/lunr/lunr.js")
    assert {f"/assets/{name}" for name in loaded} | {"data-index", "data-docs"} <= seen


def test_project_path_build_prefixes_every_link(project_path_site: Path) -> None:
    home = (project_path_site / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'(?:href|src)="(/[^"]*)"', home)
    assert hrefs and all(h.startswith("/survey/") for h in hrefs)
    papers = json.loads((project_path_site / "papers.json").read_text(encoding="utf-8"))
    assert papers[0]["url"].startswith("/survey/papers/")


def test_paper_page_shows_facts_reasons_and_lookup_links(default_site: Path, papers: list[dict]) -> None:
    paper = next(p for p in papers if p["title"] == "Fine-tuning Done Right in Model Editing")
    html = (default_site / "papers" / paper["id"] / "index.html").read_text(encoding="utf-8")
    for fact in ("September 26, 2025", "UCAS", "Upvotes", paper["kind"], "because “"):
        assert fact in html
    assert (
        "https://arxiv.org/search/?query=Fine-tuning+Done+Right+in+Model+Editing&amp;searchtype=title" in html
    )
    assert "https://huggingface.co/papers?q=Fine-tuning+Done+Right+in+Model+Editing" in html


def test_every_page_has_the_csp_and_no_inline_script(default_site: Path) -> None:
    for page in html_files(default_site):
        html = page.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in html and "script-src 'self'" in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page


def test_builds_are_byte_identical(tmp_path: Path, default_site: Path) -> None:
    out = tmp_path / "again"
    build(load_config(ROOT / "site.yaml").with_overrides(output_dir=out))
    first = {p.relative_to(default_site): p.read_bytes() for p in default_site.rglob("*") if p.is_file()}
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_pages_leave_out_what_is_not_known_and_give_editors_no_advice(default_site: Path) -> None:
    """Most of the default survey's papers have no date or upvotes in their listings: a page says
    nothing of them rather than "unknown". Advice to editors belongs in `sitegen check`."""
    pages = {p: p.read_text(encoding="utf-8") for p in default_site.rglob("*.html")}
    said = re.compile(r"date unknown|<dd>unknown</dd>|Editors:")
    assert not [p for p, html in pages.items() if said.search(html)]
    undated = json.loads((default_site / "papers.json").read_text(encoding="utf-8"))
    undated = [p for p in undated if p["date"] is None and p["upvotes"] is None and not p["off_topic"]]
    assert len(undated) > 100
    page = pages[default_site / "papers" / undated[0]["id"] / "index.html"]
    assert "<dt>Date</dt>" not in page and "<dt>Upvotes</dt>" not in page and "<dt>Kind</dt>" in page
