"""Topics too large for one page get numbered pages, newest first and most upvoted first."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.models import AssignedPaper, Paper
from sitegen.pipeline import build
from sitegen.site.render import topic_pages
from sitegen.site.urls import Urls

from .conftest import axe_problems, serving
from .sitecheck import page_refs, resolve


def paper(slug: str, upvotes: int | None, day: int) -> AssignedPaper:
    record = Paper(
        slug=slug, title=slug, abstract="", sources=(), upvotes=upvotes, date=dt.date(2025, 1, day)
    )
    return AssignedPaper(paper=record, topics=(), subtopics=(), kind="method", kind_reason="")


NEWEST_FIRST = [paper("e", 3, 5), paper("d", None, 4), paper("c", 9, 3), paper("b", 3, 2), paper("a", 1, 1)]


def test_a_topic_that_fits_has_one_page() -> None:
    urls = Urls("/s/")
    assert topic_pages("peft", NEWEST_FIRST, 5, urls) == [("/s/topics/peft/", None)]
    assert topic_pages("peft", NEWEST_FIRST, 0, urls) == [("/s/topics/peft/", None)]  # 0: never split


def test_a_larger_topic_is_split_in_both_orders() -> None:
    pages = topic_pages("peft", NEWEST_FIRST, 2, Urls("/s/"))
    assert [link for link, _ in pages] == [
        "/s/topics/peft/",
        "/s/topics/peft/page/2/",
        "/s/topics/peft/page/3/",
        "/s/topics/peft/upvotes/",
        "/s/topics/peft/upvotes/page/2/",
        "/s/topics/peft/upvotes/page/3/",
    ]
    listed = {(p.order, p.number): [x.slug for x in p.papers] for _, p in pages if p}
    assert listed[("date", 1)] + listed[("date", 2)] + listed[("date", 3)] == ["e", "d", "c", "b", "a"]
    # Most upvoted first; equal counts keep newest first; no count goes last.
    assert listed[("upvotes", 1)] + listed[("upvotes", 2)] + listed[("upvotes", 3)] == [
        "c",
        "e",
        "b",
        "a",
        "d",
    ]
    second = pages[1][1]
    assert second and (second.first, second.previous, second.next) == (
        3,
        "/s/topics/peft/",
        "/s/topics/peft/page/3/",
    )
    assert pages[0][1] and pages[0][1].previous is None and pages[2][1] and pages[2][1].next is None
    assert second.orders == {"date": "/s/topics/peft/", "upvotes": "/s/topics/peft/upvotes/"}


LISTING = (
    "\n\n".join(f"LoRA Study Number {n}\n\nWe study LoRA adapters, case {n}." for n in range(1, 6)) + "\n"
)


def build_paged(make_project) -> Path:
    """A survey whose one topic (5 papers) has pages of 2; returns its output folder."""
    project = make_project({"content/sources/listing.txt": LISTING})
    site_yaml = project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "topic_page_size: 2\n")
    build(load_config(site_yaml))
    return project / "public"


def test_built_pages_link_to_each_other_and_the_sitemap_lists_them(make_project) -> None:
    out = build_paged(make_project)
    topic = out / "topics" / "peft"
    pages = [topic / "index.html", *(topic / "page" / n / "index.html" for n in "23")]
    pages += [
        topic / "upvotes" / "index.html",
        *(topic / "upvotes" / "page" / n / "index.html" for n in "23"),
    ]
    assert all(p.is_file() for p in pages) and not (topic / "page" / "4").exists()
    titles = []
    for page in pages:
        html = page.read_text()
        for tag, _attr, url in page_refs(page):
            if url.startswith("/") and tag == "a":
                assert resolve(out, "/", url), f"{page}: {url} leads nowhere"
        titles += re.findall(r'class="paper-title" href="[^"]+">([^<]+)<', html)
        assert '<span class="count">5</span>' in html  # the heading counts the whole topic
    assert sorted(titles[:5]) == sorted(titles[5:]) == [f"LoRA Study Number {n}" for n in range(1, 6)]
    assert "2 of 3" in (topic / "page" / "2" / "index.html").read_text().split("</title>")[0]
    sitemap = (out / "sitemap.xml").read_text()
    assert "/topics/peft/page/3/" in sitemap and "/topics/peft/upvotes/page/2/" in sitemap
    # The one-page sort control (JavaScript) is only on topics that fit one page.
    assert 'id="sort-control"' not in pages[0].read_text()
    assert 'id="sort-control"' in (out / "topics" / "alignment" / "index.html").read_text()


def test_the_default_survey_topics_fit_one_page(default_site: Path) -> None:
    assert not list((default_site / "topics").rglob("page"))


@pytest.mark.browser
def test_a_numbered_page_passes_axe_and_fits_a_phone(browser, make_project, axe_source: str) -> None:
    out = build_paged(make_project)
    problems = []
    with serving(out) as url:
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme, viewport={"width": 375, "height": 800})
            page = context.new_page()
            page.goto(url + "/topics/peft/upvotes/page/2/")
            problems += axe_problems(page, axe_source, scheme)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            page.get_by_role("link", name="Next →").click()
            page.wait_for_url("**/topics/peft/upvotes/page/3/")
            context.close()
    assert problems == []
