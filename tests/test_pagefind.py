"""Search past Lunr's reach: the default survey built with Pagefind, searched in headless Chromium
through the same search page, and compared with the Lunr site on the same queries."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from sitegen import pagefind_reuse, pagefind_search
from sitegen.config import SearchSettings, load_config
from sitegen.errors import SitegenError
from sitegen.models import AssignedPaper, Assignment, Paper
from sitegen.output import Staging, spare_of
from sitegen.pagefind_search import (
    STAMP,
    PagefindIndexes,
    bundle_folders,
    is_bundle_folder,
    make_pagefind_bundle,
    plan_bundles,
    record_html,
)
from sitegen.pipeline import BuildReport, build, load_site
from sitegen.urls import Urls

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
            const m = document.getElementById('search-status').textContent.match(/^(\\d+) papers? match/);
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
        "() => document.getElementById('search-status').textContent.includes('of kind benchmark')"
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
            "items => items.map(li => li.querySelector('.paper-meta time').dateTime || 'date unknown')",
        )
        known = [d for d in dates if d != "date unknown"]
        assert known == sorted(known, reverse=True) and dates == known + ["date unknown"] * (
            len(dates) - len(known)
        )
    assert page.external_requests == [] and page.console_errors == []


def test_an_index_pagefind_left_incomplete_is_made_again(tmp_path: Path, monkeypatch) -> None:
    """Pagefind once lost its entry file when stopped too early; a bundle is checked, and made
    again once, before it goes into the site."""
    record = Paper(slug="lora", title="LoRA", abstract="Low-rank adapters.", sources=())
    papers = [AssignedPaper(paper=record, topics=(), subtopics=(), kind="method", kind_reason="")]
    real, calls = pagefind_search._index, []

    async def cut_short(records: Path, bundle: Path, language: str, times: int) -> None:
        calls.append(bundle)
        await real(records, bundle, language)
        if len(calls) <= times:
            (bundle / "pagefind-entry.json").write_text("")

    (plan,) = plan_bundles(papers, lambda slug: f"/papers/{slug}/", "en", 10_000)
    monkeypatch.setattr(pagefind_search, "_index", lambda r, b, lang: cut_short(r, b, lang, 1))
    bundle = make_pagefind_bundle(plan, "en", tmp_path / "once")
    assert len(calls) == 2 and pagefind_search._indexed(bundle) == 1
    assert pagefind_search.holds_bundle(bundle, plan.digest)
    calls.clear()
    monkeypatch.setattr(pagefind_search, "_index", lambda r, b, lang: cut_short(r, b, lang, 2))
    with pytest.raises(SitegenError, match="incomplete twice"):
        make_pagefind_bundle(plan, "en", tmp_path / "always")
    assert not (tmp_path / "always" / "pagefind" / STAMP).exists(), "only a complete index is stamped"


def small_survey(moved: tuple[int, ...] = ()) -> list[AssignedPaper]:
    """Forty papers in three topics; the papers numbered in `moved` have gone to a fourth."""
    words = ["adapters", "rewards", "forgetting", "agents", "tables", "proofs", "speech", "merging"]
    papers = []
    for n in range(40):
        paper = Paper(
            slug=f"paper-{n}",
            title=f"Paper {n} on {words[n % 8]}",
            abstract=f"We study {words[n % 8]} and {words[(n * 3) % 8]} in setting {n}. " * 3,
            sources=(),
            date=dt.date(2024, 1 + n % 12, 1 + n % 28),
            upvotes=n,
        )
        topic = "moved-here" if n in moved else ("peft", "rlhf", "agents")[n % 3]
        papers.append(
            AssignedPaper(
                paper=paper,
                topics=(Assignment(topic, 10.0, ()),),
                subtopics=(),
                kind="method",
                kind_reason="",
            )
        )
    return papers


def fragments_by_paper(bundle: Path) -> dict[str, dict]:
    """What each page of an index shows, by paper link: its fragment as Pagefind wrote it."""
    return {fragment["meta"]["url"]: fragment for _, fragment in names_and_fragments(bundle)}


def names_and_fragments(bundle: Path) -> list[tuple[str, dict]]:
    return [
        (name, json.loads(pagefind_reuse.read_compressed(bundle / "fragment" / f"{name}.pf_fragment")))
        for name, _ in pagefind_reuse.read_index(bundle).pages
    ]


def test_an_index_of_the_same_texts_lends_its_files_and_comes_out_as_if_made_anew(tmp_path: Path) -> None:
    """An editor who moves papers between topics changes only their filters: the published
    index's fragments and word chunks are lent (hard links), Pagefind writes what changed."""
    url = Urls("/").paper
    (before,) = plan_bundles(small_survey(), url, "en", 0)
    (after,) = plan_bundles(small_survey(moved=(3, 17)), url, "en", 0)
    assert after.text_digest == before.text_digest and after.digest != before.digest
    earlier = make_pagefind_bundle(before, "en", tmp_path / "earlier")
    published = snapshot(earlier)
    lent = make_pagefind_bundle(after, "en", tmp_path / "lent", earlier=earlier)
    anew = make_pagefind_bundle(after, "en", tmp_path / "anew")

    assert fragments_by_paper(lent) == fragments_by_paper(anew)
    assert fragments_by_paper(lent)["/papers/paper-3/"]["filters"]["topic"] == ["moved-here"]
    contents = pagefind_reuse.read_index(lent)
    assert contents.chunks == pagefind_reuse.read_index(anew).chunks
    shared = [f for f in lent.rglob("*.pf_*") if f.stat().st_nlink > 1]
    assert len(shared) >= 38, "the unmoved papers' fragments and the word chunks were lent"
    on_disk = {str(f.relative_to(lent)) for f in lent.glob("*/*.pf_*") if f.parent.name != "filter"}
    assert on_disk == contents.files(), "the moved papers' old fragments are gone"
    assert snapshot(earlier) == published, "nothing was written through a lent file"
    assert pagefind_search.holds_bundle(lent, after.digest)


def test_a_lent_file_that_does_not_hold_what_the_index_needs_is_never_used(tmp_path: Path) -> None:
    """Pagefind names a file by 7 hex digits of its content and keeps a file already there: a
    lent file of that name with other content (a clash) must not reach the site. Made here by
    giving a moved paper's old fragment the name its new one gets."""
    url = Urls("/").paper
    (before,) = plan_bundles(small_survey(), url, "en", 0)
    (after,) = plan_bundles(small_survey(moved=(3,)), url, "en", 0)
    assert after.text_digest == before.text_digest, "so the earlier index lends its files"
    earlier = make_pagefind_bundle(before, "en", tmp_path / "earlier")
    anew = make_pagefind_bundle(after, "en", tmp_path / "anew")
    old_name = {f["meta"]["url"]: n for n, f in names_and_fragments(earlier)}["/papers/paper-3/"]
    new_name = {f["meta"]["url"]: n for n, f in names_and_fragments(anew)}["/papers/paper-3/"]
    fragments = earlier / "fragment"
    (fragments / f"{old_name}.pf_fragment").rename(fragments / f"{new_name}.pf_fragment")

    made = make_pagefind_bundle(after, "en", tmp_path / "checked", earlier=earlier)
    assert fragments_by_paper(made) == fragments_by_paper(anew)
    assert not [f for f in made.rglob("*.pf_*") if f.stat().st_nlink > 1], "made again from nothing"


def test_a_name_lengthened_for_a_clash_or_other_word_chunks_void_a_loan(tmp_path: Path) -> None:
    """A clash within one index makes Pagefind lengthen one name; which one may differ between
    builds, so a lent file under the short name could hold the other content."""
    loan = pagefind_reuse.Loan(
        frozenset({"fragment/en_1234567.pf_fragment", "index/en_abcdef0.pf_index"}), []
    )
    clash = pagefind_reuse.IndexContents(pages=[("en_1234567f", 12)], chunks=[])
    assert not pagefind_reuse.lent_files_fit(tmp_path, clash, loan, [])
    no_clash = pagefind_reuse.IndexContents(pages=[("en_7654321f", 12)], chunks=[])
    assert pagefind_reuse.lent_files_fit(tmp_path, no_clash, loan, [])
    other_chunks = pagefind_reuse.IndexContents(pages=[], chunks=[("a", "m", "en_abcdef0")])
    assert not pagefind_reuse.lent_files_fit(tmp_path, other_chunks, loan, [])


def test_an_index_of_unchanged_records_is_kept_instead_of_made_again(make_project, monkeypatch) -> None:
    """Editors rebuild after every template tweak; at 10,000 papers Pagefind takes 11-15 s of CPU
    for an index that would come out the same. Counted in a file: Pagefind may run in a child."""
    runs = make_project().parent / "pagefind-runs"
    real = pagefind_search._index

    async def counted(records: Path, bundle: Path, language: str) -> None:
        with runs.open("a") as log:
            log.write(f"{bundle}\n")
        await real(records, bundle, language)

    monkeypatch.setattr(pagefind_search, "_index", counted)
    project = make_project()
    site_yaml, public = project / "site.yaml", project / "public"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")

    def build_counting() -> tuple[int, dict[str, bytes]]:
        runs.write_text("")
        build(load_config(site_yaml))
        return len(runs.read_text().splitlines()), snapshot(public / "pagefind")

    made, first = build_counting()
    assert made == 1 and (public / "pagefind" / STAMP).is_file()
    # Nothing changed and no spare yet: the published index is hard-linked into the new site.
    made, again = build_counting()
    assert made == 0 and again == first
    assert (public / "pagefind" / "pagefind.js").stat().st_nlink == 2
    # A template edit: the spare (the first site) holds the same index and keeps it.
    base = project / "templates" / "base.html"
    base.write_text(base.read_text().replace("</body>", "<!-- tweaked --></body>"))
    made, tweaked = build_counting()
    assert made == 0 and tweaked == first and "<!-- tweaked -->" in (public / "index.html").read_text()
    # A paper changes topic, so the index's filters change: made again.
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("[rlhf, dpo, preference]", "[rlhf]"))
    made, moved = build_counting()
    assert made == 1 and moved[STAMP] != first[STAMP]
    # …from the fragments and word chunks the index it replaces lent it (now in the spare).
    replaced = {f.stat().st_ino for f in (spare_of(public) / "pagefind").rglob("*.pf_*")}
    assert any(f.stat().st_ino in replaced for f in (public / "pagefind").rglob("*.pf_*"))
    # An index whose stamp does not match its records is never trusted.
    for place in (public, project / ".public.spare"):
        (place / "pagefind" / STAMP).write_text("0" * 64 + "\n")
    made, _ = build_counting()
    assert made == 1
    assert [p.name for p in project.glob(".public.*")] == [".public.spare"], "no scratch folder left"


def test_an_earlier_index_is_used_wherever_it_went_and_made_when_it_is_gone(make_project) -> None:
    """Between `start` and `finish` the staging folder takes the spare (the index is then found
    there, though the child may look only afterwards), or another build may take it and replace
    the published site (the index is then made after all)."""
    project = make_project()
    site_yaml, public = project / "site.yaml", project / "public"
    site_yaml.write_text(site_yaml.read_text() + "search: {engine: pagefind}\n")
    for _ in range(2):  # the published site and the spare both hold the index
        build(load_config(site_yaml))
    stamp = pagefind_search.read_stamp(public / "pagefind")
    config = load_config(site_yaml)
    published = load_site(config, BuildReport()).published

    def indexes(cleanup: contextlib.ExitStack) -> PagefindIndexes:
        return PagefindIndexes(public, "en", Urls("/").paper, 10_000, cleanup)

    with contextlib.ExitStack() as cleanup:
        found = indexes(cleanup)
        found.start(published)
        staging = cleanup.enter_context(Staging(public))  # takes the spare
        assert found.finish(staging) == {} and staging.kept == {"pagefind"}
    with contextlib.ExitStack() as cleanup:
        gone = indexes(cleanup)
        gone.start(published)
        shutil.rmtree(spare_of(public))  # another build took the spare…
        (public / "pagefind" / STAMP).unlink()  # …and published a site without this index
        staging = cleanup.enter_context(Staging(public))
        made = gone.finish(staging)
        assert list(made) == ["pagefind"] and pagefind_search.read_stamp(made["pagefind"]) == stamp
        assert pagefind_search._indexed(made["pagefind"]) == len(published) and not staging.kept


def test_published_papers_are_handed_over_before_related_papers_are_found(make_project) -> None:
    """A Pagefind index needs only the published papers and their topics, so `build` starts it
    then, to run beside the related papers and the rendering instead of after them."""
    project = make_project(
        {"content/overrides.yaml": "papers:\n  - paper: lora-tricks-for-everyone\n    off_topic: true\n"}
    )
    report = BuildReport()
    handed: list[tuple[list[str], bool]] = []
    site = load_site(
        load_config(project / "site.yaml"),
        report,
        on_published=lambda papers: handed.append(([p.slug for p in papers], "related" in report.timings)),
    )
    assert handed == [([p.slug for p in site.published], False)]
    assert "lora-tricks-for-everyone" not in handed[0][0]
    assert "related" in report.timings
