"""Search past Lunr's reach: the default survey built with Pagefind, searched in headless Chromium
through the same search page, and compared with the Lunr site on the same queries."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen.config import SearchSettings, load_config
from sitegen.errors import SitegenError
from sitegen.models import AssignedPaper, Paper
from sitegen.pipeline import build
from sitegen.search import pagefind
from sitegen.search.pagefind import STAMP, PagefindIndexes, bundle_folders, is_bundle_folder, record_html

from .conftest import ROOT, serving, snapshot
from .test_reader_site import count_in_status, open_search, shown_results

# Queries whose answers are clear-cut: both engines must agree on what comes first.
QUERIES = ("lora", "machine unlearning", "quantization", "catastrophic forgetting", "mixture of experts")


def build_default_survey(tmp_path_factory: pytest.TempPathFactory, name: str, search: SearchSettings) -> Path:
    """The repository's survey built with other search settings; returns its output folder."""
    out = tmp_path_factory.mktemp(name) / "public"
    config = load_config(ROOT / "site.yaml").with_overrides(output_dir=out)
    build(dataclasses.replace(config, search=search))
    return out


@pytest.fixture(scope="session")
def pagefind_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_default_survey(tmp_path_factory, "pagefind", SearchSettings(engine="pagefind"))


@pytest.fixture(scope="session")
def pagefind_url(pagefind_site: Path) -> Iterator[str]:
    with serving(pagefind_site) as url:
        yield url


def test_the_index_folders_are_known_by_name_so_no_page_can_take_them() -> None:
    assert all(is_bundle_folder(f) for f in bundle_folders(25_000, 5_000))
    assert not any(is_bundle_folder(f) for f in ("pagefinder", "pagefind-", "pagefind-x", "about", "search"))


def test_the_bundle_ships_the_runtime_with_its_checksums_and_licence(pagefind_site: Path) -> None:
    bundle = pagefind_site / "pagefind"
    assert (bundle / "pagefind.js").is_file() and (bundle / "pagefind-entry.json").is_file()
    assert not list(bundle.glob("pagefind-*ui*")), "Pagefind's own UI is not used, so not shipped"
    assert (
        not (pagefind_site / "search-index.json").exists()
        and not (pagefind_site / "search-docs.json").exists()
    )
    listed = {}
    for line in (bundle / "SOURCE.txt").read_text().splitlines():
        if line.startswith("  "):
            digest, name = line.split()
            listed[name] = digest
    assert {"pagefind.js", "pagefind-worker.js", "wasm.en.pagefind"} <= set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    assert "CloudCannon" in (pagefind_site / "assets" / "vendor" / "pagefind" / "LICENSE").read_text()
    search_page = (pagefind_site / "search" / "index.html").read_text()
    assert 'data-engine="pagefind"' in search_page
    assert re.search(r'pagefind-start\.js\?v=\w+" data-pagefind="/pagefind/"', search_page)
    # Pagefind compiles WebAssembly; only its search page may, and no Lunr site page does.
    assert "script-src 'self' 'wasm-unsafe-eval';" in search_page
    assert "wasm-unsafe-eval" not in (pagefind_site / "index.html").read_text()


def test_a_record_escapes_every_text() -> None:
    paper = Paper(
        slug="x",
        title='<script>alert("t")</script> & co',
        abstract="<img src=x onerror=alert(1)>",
        sources=(),
    )
    record = record_html(
        AssignedPaper(paper=paper, topics=(), subtopics=(), kind="method", kind_reason=""), "/papers/x/", "en"
    )
    assert "<script>" not in record and "<img" not in record
    assert html.escape(paper.title) in record and 'data-pagefind-filter="year:none"' in record


def all_shown(page, limit: int = 50) -> None:
    """Wait for the whole first page: Pagefind shows the first 10 results, then the others."""
    page.wait_for_function(
        """limit => {
            const status = document.getElementById('search-status').textContent;
            const m = status.match(/^(\\d+) (?:\\w+ )?papers?\\b/);
            const shown = document.querySelectorAll('#search-results li').length;
            return m && shown === Math.min(Number(m[1]), limit);
        }""",
        arg=limit,
    )


def top_links(page, url: str, query: str) -> list[str]:
    open_search(page, url, f"?q={query}")
    page.wait_for_selector("#search-results li")
    return [r["href"] for r in shown_results(page)][:5]


@pytest.mark.browser
def test_lunr_and_pagefind_put_the_same_papers_on_top(
    page, site_url: str, pagefind_url: str, default_site: Path
) -> None:
    assert "wasm-unsafe-eval" not in (default_site / "search" / "index.html").read_text()
    for query in QUERIES:
        lunr_top, pagefind_top = top_links(page, site_url, query), top_links(page, pagefind_url, query)
        assert lunr_top[0] in pagefind_top and pagefind_top[0] in lunr_top, query
        assert len(set(lunr_top) & set(pagefind_top)) >= min(4, len(lunr_top)), query
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.browser
def test_the_pagefind_page_highlights_filters_and_shows_more(page, pagefind_url: str, papers) -> None:
    open_search(page, pagefind_url, "?q=unlearning")
    page.wait_for_selector("#search-results li")
    results = shown_results(page)
    marks = [m for r in results for m in r["titleMarks"] + r["abstractMarks"]]
    # Pagefind also finds the parts of compound words: "CodeUnlearn".
    assert marks and all("unlearn" in m.lower() for m in marks), marks
    assert all(r["href"].startswith("/papers/") for r in results)
    # The excerpt comes from the paper's abstract (read from the record's text, after its title).
    abstracts = {p["title"]: " ".join(p["abstract"].split()) for p in papers}
    for r in results:
        pieces = [" ".join(part.split()) for part in r["excerpt"].split("…") if part.strip()]
        assert pieces and all(piece in abstracts[r["title"]] for piece in pieces), r

    page.select_option("#filter-kind", "benchmark")
    page.wait_for_function(
        "() => document.getElementById('search-status').textContent.includes('benchmark paper')"
    )
    assert {r["kind"] for r in shown_results(page)} == {"benchmark"}

    low_rank = [p for p in papers if not p["off_topic"] and "peft/low-rank" in p["subtopics"]]
    open_search(page, pagefind_url, "?topic=peft/low-rank")
    all_shown(page)
    assert count_in_status(page) == len(low_rank)
    assert {r["title"] for r in shown_results(page)} == {p["title"] for p in low_rank}

    open_search(page, pagefind_url, "?q=language")
    page.wait_for_selector("#search-results li")
    assert page.locator("#search-results li").count() in (5, 50)  # the first few may come alone
    all_shown(page)
    total = count_in_status(page)
    assert total > 50 and page.locator("#search-results li").count() == 50
    page.click("#search-more-button")
    all_shown(page, 100)
    assert page.external_requests == [] and page.console_errors == []


def test_the_page_head_starts_pagefind_and_preloads_the_query(page, pagefind_url: str) -> None:
    """Pagefind's worker, WebAssembly and the query's index chunk are fetched even when search.js
    never arrives: loading starts from the page's head instead of waiting for the page's scripts."""
    fetched: list[str] = []
    page.context.on("requestfinished", lambda r: fetched.append(r.url))
    page.route("**/assets/search.js?*", lambda route: route.abort())  # with its ?v= version
    page.goto(f"{pagefind_url}/search/?q=unlearning")
    names: set[str] = set()
    for _ in range(200):  # up to 20 s on a slow machine; over as soon as the chunk has come
        names = {url.rsplit("/", 1)[-1] for url in fetched}
        if any(name.endswith(".pf_index") for name in names):
            break
        page.wait_for_timeout(100)
    assert {"pagefind-worker.js", "wasm.en.pagefind"} <= names, names
    assert any(name.endswith(".pf_index") for name in names), names  # the query's chunk, preloaded
    assert page.locator("#search-results li").count() == 0  # nothing shown without search.js


@pytest.fixture(scope="session")
def sharded_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default survey indexed 150 papers at a time, as a 50,000-paper one is 10,000 at a time."""
    return build_default_survey(
        tmp_path_factory, "sharded", SearchSettings(engine="pagefind", pagefind_shard=150)
    )


def test_shard_folders() -> None:
    assert bundle_folders(10_000, 10_000) == ["pagefind"]
    assert bundle_folders(10_001, 10_000) == ["pagefind", "pagefind-2"]
    assert bundle_folders(0, 10_000) == bundle_folders(50_000, 0) == ["pagefind"]


def test_a_large_survey_is_indexed_in_shards_newest_first(sharded_site: Path, papers) -> None:
    published = [p for p in papers if not p["off_topic"]]
    counts = []
    for folder in ("pagefind", "pagefind-2", "pagefind-3"):
        bundle = sharded_site / folder
        counts.append(
            json.loads((bundle / "pagefind-entry.json").read_text())["languages"]["en"]["page_count"]
        )
        assert (bundle / "SOURCE.txt").is_file() and (bundle / "pagefind.js").is_file()
    assert counts == [150, 150, len(published) - 300] and not (sharded_site / "pagefind-4").exists()
    search_page = (sharded_site / "search" / "index.html").read_text()
    bundles = "/pagefind/ /pagefind-2/ /pagefind-3/"
    assert re.search(rf'pagefind-start\.js\?v=\w+" data-pagefind="{bundles}"', search_page)


@pytest.mark.browser
def test_the_pagefind_page_marks_only_the_last_query_word_as_a_prefix(page, pagefind_url: str) -> None:
    # As on the Lunr page: "pre" is a finished word, so "present" or "preference" stay unmarked.
    # Pagefind itself also matches the words joined ("pretraining", "pretrained", a URL with them).
    open_search(page, pagefind_url, "?q=pre-training")
    page.wait_for_selector("#search-results li")
    shown = min(count_in_status(page), 50)  # the whole first page, not only the first few results
    page.wait_for_function(f"() => document.querySelectorAll('#search-results li').length === {shown}")
    marks = {m.lower() for r in shown_results(page) for m in r["titleMarks"] + r["abstractMarks"]}
    assert any(m.startswith("train") for m in marks), marks
    assert all(m == "pre" or "train" in m for m in marks), marks
    assert page.console_errors == []


@pytest.mark.browser
def test_shards_are_searched_as_one_index(page, site_url: str, sharded_site: Path, papers) -> None:
    with serving(sharded_site) as sharded_url:
        for query in QUERIES:
            lunr_top, sharded_top = top_links(page, site_url, query), top_links(page, sharded_url, query)
            assert lunr_top[0] in sharded_top and sharded_top[0] in lunr_top, query
            assert len(set(lunr_top) & set(sharded_top)) >= min(4, len(lunr_top)), query
        # Filters alone list newest first across the shards, as one index does.
        peft = [p for p in papers if not p["off_topic"] and "peft" in p["topics"]]
        open_search(page, sharded_url, "?topic=peft")
        all_shown(page)
        assert count_in_status(page) == len(peft)
        dates = page.eval_on_selector_all(
            "#search-results li",
            "items => items.map(li => (li.querySelector('.paper-meta time') || {}).dateTime || 'no date')",
        )
        known = [d for d in dates if d != "no date"]
        assert known == sorted(known, reverse=True) and dates == known + ["no date"] * (
            len(dates) - len(known)
        )
    assert page.external_requests == [] and page.console_errors == []


def test_an_index_pagefind_leaves_incomplete_stops_the_build(make_project, monkeypatch, tmp_path) -> None:
    """An index is checked before it goes into the site: one whose entry file does not count
    every record is an error, and the published site stays as it was."""
    project = make_project()
    site_yaml = project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")
    build(load_config(site_yaml))
    before = snapshot(project / "public")
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'indexed nothing'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pagefind, "_executable", lambda: fake)
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("[rlhf, dpo, preference]", "[rlhf]"))
    with pytest.raises(SitegenError, match="Pagefind failed to index the papers: indexed nothing"):
        build(load_config(site_yaml))
    assert snapshot(project / "public") == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".public")] == []


def test_an_index_of_unchanged_records_is_copied_instead_of_made_again(make_project, monkeypatch) -> None:
    """Editors rebuild after every template tweak; at 10,000 papers Pagefind takes 11-15 s for an
    index that would come out the same: the published one is copied when its stamp matches."""
    runs: list[str] = []
    real = PagefindIndexes._launch

    def counted(self, bundle):
        runs.append(bundle.folder)
        return real(self, bundle)

    monkeypatch.setattr(PagefindIndexes, "_launch", counted)
    project = make_project()
    site_yaml, public = project / "site.yaml", project / "public"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")

    def build_counting() -> tuple[int, dict[str, bytes]]:
        runs.clear()
        build(load_config(site_yaml))
        return len(runs), snapshot(public / "pagefind")

    made, first = build_counting()
    assert made == 1 and (public / "pagefind" / STAMP).is_file()
    made, again = build_counting()
    assert made == 0 and again == first
    base = project / "templates" / "base.html"
    base.write_text(base.read_text().replace("</body>", "<!-- tweaked --></body>"))
    made, tweaked = build_counting()
    assert made == 0 and tweaked == first and "<!-- tweaked -->" in (public / "index.html").read_text()
    # A paper changes topic, so the index's filters change: made again.
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("[rlhf, dpo, preference]", "[rlhf]"))
    made, moved = build_counting()
    assert made == 1 and moved[STAMP] != first[STAMP]
    # An index whose stamp does not match its records is never trusted.
    (public / "pagefind" / STAMP).write_text("0" * 64 + "\n")
    made, _ = build_counting()
    assert made == 1
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == [".sitegen-cache"]
