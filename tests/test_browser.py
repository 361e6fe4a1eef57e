"""The search page in real headless Chromium: type a query, see the paper."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pytest

from .conftest import serving

pytestmark = pytest.mark.browser


def test_typing_a_query_shows_the_matching_paper(page, site_url: str, default_site: Path) -> None:
    papers = json.loads((default_site / "papers.json").read_text(encoding="utf-8"))
    target = next(p for p in papers if p["title"].startswith("LoRA vs Full Fine-tuning"))
    page.goto(f"{site_url}/search/")
    page.wait_for_selector("#search-form.ready")
    page.fill("#search-input", "illusion equivalence")
    first = page.locator("#search-results li a").first
    first.wait_for()
    assert first.inner_text() == target["title"]
    day = date.fromisoformat(target["date"])
    shown = page.locator("#search-results li .paper-meta time").first
    assert shown.inner_text() == f"{day:%B} {day.day}, {day.year}"  # as the site's lists write it
    assert shown.get_attribute("datetime") == target["date"]
    assert "paper matches" in page.inner_text("#search-status")
    assert "q=illusion+equivalence" in page.url or "q=illusion%20equivalence" in page.url
    first.click()
    page.wait_for_url(f"**/papers/{target['id']}/")
    assert page.locator("h1").inner_text() == target["title"]
    assert page.external_requests == [] and page.console_errors == []


def test_a_shared_query_url_runs_the_search(page, site_url: str) -> None:
    page.goto(f"{site_url}/search/?q=unlearning")
    page.wait_for_selector("#search-results li")
    assert page.input_value("#search-input") == "unlearning"
    assert page.locator("#search-results li").count() > 20


def test_no_match_gives_a_helpful_message(page, site_url: str) -> None:
    page.goto(f"{site_url}/search/?q=zzxqvw")
    page.wait_for_selector("#search-form.ready")
    assert "No paper matches" in page.inner_text("#search-status")
    assert page.locator("#search-results li").count() == 0


def test_home_topic_and_paper_pages_render_without_errors(page, site_url: str) -> None:
    page.goto(f"{site_url}/")
    assert page.locator("h1").inner_text().startswith("Fine-Tuning")
    page.click("#topics a[href='/topics/preference-alignment/']")
    page.wait_for_url("**/topics/preference-alignment/")
    assert page.locator("h1").inner_text() == "Preference alignment"
    page.locator("ol.papers li a.paper-title").first.click()
    page.wait_for_url("**/papers/**")
    assert page.locator("text=because").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.external_requests == [] and page.console_errors == []


HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\"> LoRA <b>bold</b>"


def test_hostile_titles_show_as_text_in_search_results_and_pages(browser, make_project) -> None:
    from sitegen.config import load_config
    from sitegen.pipeline import build

    listing = f"{HOSTILE_TITLE}\n\nLoRA abstract <script>document.title='pwned'</script> end.\n"
    project = make_project({"content/sources/listing.txt": listing})
    build(load_config(project / "site.yaml"))
    context = browser.new_context()
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        with serving(project / "public") as url:
            page.goto(f"{url}/search/?q=lora")
            first = page.locator("#search-results li a").first
            first.wait_for()
            assert first.inner_text() == HOSTILE_TITLE
            assert page.locator("#search-results img, #search-results b, #search-results script").count() == 0
            first.click()
            page.wait_for_url("**/papers/**")
            assert page.locator("h1").inner_text() == HOSTILE_TITLE
            assert page.locator("main img, main b, main script").count() == 0
            assert page.title() != "pwned" and dialogs == []
    finally:
        context.close()


def test_preview_reloads_the_open_page_after_an_edit(browser, make_project) -> None:
    import time

    from sitegen.editor.serve import start_server, watch_and_rebuild

    project = make_project()
    server, site = start_server(project / "site.yaml", "127.0.0.1", 0, livereload=True)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch_and_rebuild, args=(site, stop), daemon=True).start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{site.base_url}about/")
        assert page.locator("h1").inner_text() == "About"
        time.sleep(0.5)  # the page's event stream and the watcher are connected
        (project / "content" / "pages" / "about.md").write_text("# About this survey\n\nEdited.\n")
        page.locator("h1", has_text="About this survey").wait_for(timeout=15000)
        (project / "content" / "taxonomy.yaml").write_text("topics: [\n")
        page.wait_for_selector(".sitegen-build-error", timeout=15000)
        assert "YAML syntax error" in page.inner_text(".sitegen-build-error")
    finally:
        context.close()
        stop.set()
        server.shutdown()
        server.server_close()
