"""The site as a reader uses it, in headless Chromium: search, filters, keyboard, topic tree,
sorting, related papers, and the quality bar (axe-core, widths, dark mode, no other hosts).

Screenshots of every page type at 375 and 1280 px go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ROOT, axe_problems

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def page_paths(default_site: Path) -> dict[str, str]:
    """One page of every kind the site has; the paper one with a newer and an older neighbour."""
    paper = next(
        folder.name
        for folder in sorted((default_site / "papers").iterdir())
        if 'class="newer"' in (html := (folder / "index.html").read_text(encoding="utf-8"))
        and 'class="older"' in html
        and "<time" in html
    )
    return {
        "home": "/",
        "topic": "/topics/preference-alignment/",
        "subtopic": "/topics/peft/low-rank/",
        "paper": f"/papers/{paper}/",
        "search": "/search/?q=lora",
        "about": "/about/",
        "unsorted": "/unsorted/",
        "not-found": "/404.html",
    }


def open_search(page, site_url: str, query: str = "") -> None:
    page.goto(f"{site_url}/search/{query}")
    page.wait_for_selector("#search-form.ready")


def shown_results(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#search-results li",
        """items => items.map(li => ({
            title: li.querySelector('a.paper-title').textContent,
            titleMarks: Array.from(li.querySelectorAll('a.paper-title mark')).map(m => m.textContent),
            abstractMarks: Array.from(li.querySelectorAll('.excerpt mark')).map(m => m.textContent),
            excerpt: li.querySelector('.excerpt').textContent,
            kind: li.querySelector('.kind').textContent,
            href: li.querySelector('a.paper-title').getAttribute('href'),
        }))""",
    )


def count_in_status(page) -> int:
    match = re.match(r"(\d+) (?:\w+ )?papers?\b", page.inner_text("#search-status"))
    assert match, page.inner_text("#search-status")
    return int(match.group(1))


def test_results_highlight_the_matched_words_and_rank_title_matches_first(page, site_url: str) -> None:
    open_search(page, site_url)
    page.fill("#search-input", "unlearning")
    page.wait_for_selector("#search-results li")
    results = shown_results(page)
    assert len(results) > 20
    in_title = [bool(r["titleMarks"]) for r in results]
    assert in_title[0] and in_title.index(False) == in_title.count(True), "title matches must come first"
    assert all(re.match(r"(?i)unlearn", m) for r in results for m in r["titleMarks"] + r["abstractMarks"])
    assert any(r["abstractMarks"] for r in results if not r["titleMarks"]), "abstract-only hits show why"
    assert page.external_requests == [] and page.console_errors == []


def test_typing_is_debounced_prefixes_match_and_the_query_goes_in_the_url(page, site_url: str) -> None:
    open_search(page, site_url)
    page.type("#search-input", "quantiz", delay=30)
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length > 0")
    assert page.evaluate("location.search") == "?q=quantiz"
    marks = [m for r in shown_results(page) for m in r["titleMarks"] + r["abstractMarks"]]
    assert marks and all(m.lower().startswith("quantiz") for m in marks)


def test_only_the_last_query_word_matches_as_a_prefix(page, site_url: str, papers) -> None:
    # "pre-training" is the words "pre" and "training": "pre" is complete, so it must not find
    # or mark "prediction" or "preference", while the last word may still be being typed.
    open_search(page, site_url, "?q=pre-training")
    page.wait_for_selector("#search-results li")
    results = shown_results(page)
    marks = {m.lower() for r in results for m in r["titleMarks"] + r["abstractMarks"]}
    assert "pre" in marks and any(m.startswith("train") for m in marks), marks
    assert all(m == "pre" or m.startswith("train") for m in marks), marks
    found = {r["title"] for r in results}
    has_pre = re.compile(r"(?i)\bpre\b")
    without_pre = {p["title"] for p in papers if not has_pre.search(f"{p['title']} {p['abstract']}")}
    assert not found & without_pre, "a paper without the word 'pre' was found for it"
    open_search(page, site_url, "?q=pre-trai")  # the last word, half typed, still finds them
    page.wait_for_selector("#search-results li")
    assert count_in_status(page) >= len(results)
    assert page.console_errors == []


def test_filters_combine_with_the_query_and_survive_a_shared_link(page, site_url: str, papers) -> None:
    open_search(page, site_url, "?q=reward")
    page.wait_for_selector("#search-results li")
    everything = count_in_status(page)
    page.select_option("#filter-kind", "benchmark")
    page.wait_for_function(
        "() => document.getElementById('search-status').textContent.includes('benchmark paper')"
    )
    narrowed = count_in_status(page)
    assert 0 < narrowed < everything
    assert page.inner_text("#search-status").startswith(f"{narrowed} benchmark paper")
    assert {r["kind"] for r in shown_results(page)} == {"benchmark"}
    assert "kind=benchmark" in page.url and "q=reward" in page.url
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    page.wait_for_selector("#search-results li")
    assert page.input_value("#filter-kind") == "benchmark" and count_in_status(page) == narrowed


def test_filters_alone_list_exactly_the_topic_and_year(page, site_url: str, papers) -> None:
    published = [p for p in papers if not p["off_topic"]]
    low_rank = [p for p in published if "peft/low-rank" in p["subtopics"]]
    open_search(page, site_url, "?topic=peft/low-rank")
    page.wait_for_selector("#search-results li")
    assert count_in_status(page) == len(low_rank)
    assert {r["title"] for r in shown_results(page)} == {p["title"] for p in low_rank}
    page.select_option("#filter-year", "2024")
    expected = [p for p in low_rank if (p["date"] or "").startswith("2024")]
    page.wait_for_function("() => document.getElementById('search-status').textContent.includes('from 2024')")
    if expected:
        assert count_in_status(page) == len(expected)
    else:
        assert page.inner_text("#search-status").startswith("No paper in ")


def test_nothing_found_says_what_to_try(page, site_url: str) -> None:
    open_search(page, site_url, "?q=unlearning&kind=toolkit&year=2021")
    status = page.inner_text("#search-status")
    assert status.startswith("No toolkit paper from 2021 matches “unlearning”. Try removing a filter")
    assert page.locator("#search-results li").count() == 0


def test_show_more_adds_the_next_results(page, site_url: str) -> None:
    open_search(page, site_url, "?q=language")
    page.wait_for_selector("#search-results li")
    total = count_in_status(page)
    assert total > 50 and page.locator("#search-results li").count() == 50
    page.click("#search-more-button")
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length > 50")
    assert page.locator("#search-results li").count() == min(100, total)


def test_keyboard_slash_focuses_search_and_arrows_walk_the_results(page, site_url: str, page_paths) -> None:
    page.goto(site_url + page_paths["paper"])
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"
    page.keyboard.type("direct preference")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=direct+preference")
    page.wait_for_selector("#search-results li")
    page.focus("#search-input")
    titles = [r["title"] for r in shown_results(page)]
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.textContent") == titles[1]
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "search-input"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/papers/**")
    assert page.locator("h1").inner_text() == titles[0]
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "site-search"


def test_topic_tree_and_breadcrumbs_lead_through_the_survey(page, site_url: str, page_paths) -> None:
    page.goto(site_url + page_paths["paper"])
    nav = page.locator("#topic-nav")
    assert nav.locator("a").count() >= 30
    nav.locator("a[href='/topics/peft/low-rank/']").click()
    page.wait_for_url("**/topics/peft/low-rank/")
    assert page.locator("h1").inner_text() == "Low-rank adaptation"
    assert page.locator("#topic-nav a[aria-current='page']").inner_text() == "Low-rank adaptation"
    page.locator(".breadcrumbs a[href='/topics/peft/']").click()
    page.wait_for_url("**/topics/peft/")
    assert page.locator("h1").inner_text() == "Parameter-efficient fine-tuning"
    page.locator("#papers-heading ~ div a.paper-title").first.click()
    page.wait_for_url("**/papers/**")
    crumbs = page.locator(".breadcrumbs a").all_inner_texts()
    assert crumbs[0] == "Home" and "Parameter-efficient fine-tuning" in crumbs


def test_topic_lists_sort_by_upvotes_and_back(page, site_url: str) -> None:
    page.goto(f"{site_url}/topics/preference-alignment/")
    upvotes = "Array.from(document.querySelectorAll('#sortable li')).map(li => Number(li.dataset.upvotes))"
    dates = "Array.from(document.querySelectorAll('#sortable li')).map(li => li.dataset.date)"
    by_date = page.evaluate(dates)
    page.select_option("#sort-select", "upvotes")
    ranked = page.evaluate(upvotes)
    assert ranked == sorted(ranked, reverse=True) and ranked[0] > 0
    assert "sort=upvotes" in page.url
    page.reload()
    assert page.evaluate(upvotes) == ranked, "the order is kept in a shared or reloaded link"
    page.select_option("#sort-select", "date")
    assert page.evaluate(dates) == by_date


def test_paper_pages_show_related_papers_and_walk_their_topic(page, site_url: str, page_paths) -> None:
    page.goto(site_url + page_paths["paper"])
    related = page.locator("#related-heading ~ ol a.paper-title")
    assert related.count() == 5
    older = page.locator(".pager .older a").get_attribute("href")
    newer = page.locator(".pager .newer a").get_attribute("href")
    page.locator(".pager a").first.click()  # "More in <topic>": the list the pager walks
    in_topic = page.locator("#sortable a.paper-title").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    here = in_topic.index(page_paths["paper"])
    assert (in_topic[here - 1], in_topic[here + 1]) == (newer, older)
    page.goto(site_url + page_paths["paper"])
    page.locator("details.cite summary").click()
    slug = page_paths["paper"].split("/")[2]
    assert page.locator("pre.bibtex").inner_text().startswith("@misc{" + slug[:20])


def test_every_page_passes_axe_in_light_and_dark(browser, site_url: str, page_paths, axe_source: str) -> None:
    problems = []
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        for name, path in page_paths.items():
            page.goto(site_url + path)
            if name == "search":
                page.wait_for_selector("#search-results li")
            problems += axe_problems(page, axe_source, f"{scheme} {name}")
        context.close()
    assert problems == []


def test_no_page_scrolls_sideways_at_phone_or_desktop_width(browser, site_url: str, page_paths) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    wide = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        for name, path in page_paths.items():
            page.goto(site_url + path)
            if name == "search":
                page.wait_for_selector("#search-results li")
            page.screenshot(path=str(SHOTS / f"{name}-{width}.png"))
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide.append(f"{name} at {width} px is {scroll} px wide")
        context.close()
    assert wide == []


def test_dark_mode_follows_the_system_setting(browser, site_url: str) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        context = browser.new_context(color_scheme=scheme)
        page = context.new_page()
        page.goto(f"{site_url}/")
        colours[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
    luminance = {s: sum(int(n) for n in re.findall(r"\d+", c)[:3]) / 765 for s, c in colours.items()}
    assert luminance["light"] > 0.9 and luminance["dark"] < 0.15


def test_year_charts_appear_where_most_papers_have_a_date_and_are_accessible(
    page, site_url: str, papers
) -> None:
    """Most of the default survey's papers have no date: a chart of them by year would mostly
    show nothing, so the page says how many are undated instead. Where most are dated, the chart
    is accessible SVG that reads out its numbers."""
    published = [p for p in papers if not p["off_topic"]]
    undated = sum(1 for p in published if not p["date"])
    assert undated > len(published) / 2
    page.goto(f"{site_url}/")
    assert page.locator("svg.chart").count() == 0
    assert f"{undated} of the {len(published)} papers have no date in their listing" in page.inner_text(
        "main"
    )
    alignment = [p for p in published if "preference-alignment" in p["topics"]]
    page.goto(f"{site_url}/topics/preference-alignment/")
    assert page.locator("svg.chart").count() == 0
    no_date = sum(1 for p in alignment if not p["date"])
    assert f"{no_date} of these {len(alignment)} papers have no date in their listing." in page.inner_text(
        "main"
    )
    page.goto(f"{site_url}/topics/multimodal/")  # 18 of its 30 papers are dated
    chart = page.locator("svg.chart[role='img']")
    assert chart.count() == 1 and chart.locator("rect.bar").count() >= 1
    assert "Papers per year" in chart.locator("title").text_content()
    assert re.search(r"20\d\d: \d+", chart.locator("desc").text_content())
    headings = page.locator("main h2").all_inner_texts()
    assert headings.index("Papers per year") > [h.startswith("Papers") for h in headings].index(True)


def test_on_a_phone_the_search_boxes_line_up_with_the_page(browser, site_url: str, page_paths) -> None:
    """At 375 px the header's search box starts where the rest of the page does (it sat 23 px
    further in), and the not-found page's button stays beside its search box."""
    context = browser.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    page.goto(f"{site_url}/")
    brand = page.locator(".brand").bounding_box()
    box = page.locator("#site-search").bounding_box()
    assert brand and box and abs(box["x"] - brand["x"]) <= 1, (box, brand)
    page.goto(site_url + page_paths["not-found"])
    field = page.locator("#nf-search").bounding_box()
    button = page.locator("main form button").bounding_box()
    assert field and button and abs(field["y"] - button["y"]) <= 4 and button["x"] > field["x"], (
        field,
        button,
    )
    context.close()


def test_on_a_phone_the_topic_tree_is_folded_until_asked_for(browser, site_url: str, page_paths) -> None:
    """The whole tree (37 links) followed every page on a phone, twice on the home page."""
    context = browser.new_context(viewport={"width": 375, "height": 900})
    page = context.new_page()
    page.goto(f"{site_url}/")
    tree = page.locator("#topic-nav a[href='/topics/peft/low-rank/']")
    assert not tree.is_visible() and page.locator("#topic-nav summary").is_visible()
    folded = page.evaluate("document.documentElement.scrollHeight")
    page.locator(".main-nav a[href='#topic-nav']").click()
    tree.wait_for(state="visible")
    assert page.evaluate("document.documentElement.scrollHeight") - folded > 1000  # the tree's height
    page.goto(site_url + page_paths["paper"])
    assert not tree.is_visible()
    page.locator("#topic-nav summary").click()
    assert tree.is_visible()
    context.close()
    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    page = wide.new_page()
    page.goto(f"{site_url}/")
    assert page.locator("#topic-nav a[href='/topics/peft/low-rank/']").is_visible()
    wide.close()
