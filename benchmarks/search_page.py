"""What a reader of the search page waits for and downloads, measured in headless Chromium.

Usage: python benchmarks/search_page.py [--site public] [--runs 5] [--query lora]

Serves a built site on 127.0.0.1 (like GitHub Pages, without compression) and, in a fresh
browser context each run, so nothing is cached:
  * opens `/search/?q=QUERY` (a shared search link) and takes the time from the start of navigation
    to the first results on screen (the page's `sitegen:first-results` performance mark);
  * opens `/search/`, lets it load, types QUERY and presses Enter: the time from the key to the
    first results — what a reader who types waits for (the page fetches the search engine and
    its metadata while it loads; the query's own index chunks and results are fetched after Enter).
It reports their medians, the bytes fetched for the first (page, scripts, index and paper records,
including the worker's requests) and, for each file, its raw and gzip size — what a server that
compresses, as GitHub Pages does, sends.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM_ARGS, serving  # noqa: E402  (the brief's flags; a static server)


def one_run(browser, url: str) -> tuple[float, list[str]]:
    """Milliseconds to first results and the paths fetched, in a fresh (cold) context."""
    context = browser.new_context()
    fetched: list[str] = []
    context.on("requestfinished", lambda r: fetched.append(urlsplit(r.url).path))
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#search-results li", timeout=60_000)
    ms = page.evaluate("() => performance.getEntriesByName('sitegen:first-results')[0].startTime")
    context.close()
    return ms, fetched


def typed_run(browser, base: str, query: str) -> float:
    """Milliseconds from pressing Enter on a typed query to the first results, in a fresh context."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/search/")
    page.wait_for_load_state("networkidle")  # the page has loaded what it loads before a query
    page.fill("#search-input", query)
    page.evaluate(
        """() => document.getElementById("search-form").addEventListener(
             "submit", () => { window.enterPressedAt = performance.now(); }, {capture: true})"""
    )
    page.press("#search-input", "Enter")
    page.wait_for_selector("#search-results li", timeout=60_000)
    ms = page.evaluate(
        "() => performance.getEntriesByName('sitegen:first-results')[0].startTime - window.enterPressedAt"
    )
    context.close()
    return ms


def summary(label: str, times: list[float]) -> str:
    times = sorted(times)
    return f"  {label}: median {statistics.median(times):.0f} ms (min {times[0]:.0f}, max {times[-1]:.0f})"


def file_for(site: Path, path: str) -> Path:
    target = site / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "public")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="lora")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with serving(args.site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        one_run(browser, f"{base}/search/?q={args.query}")  # warm-up: the OS file cache, not the browser's
        runs = [one_run(browser, f"{base}/search/?q={args.query}") for _ in range(args.runs)]
        typed = [typed_run(browser, base, args.query) for _ in range(args.runs)]
        browser.close()
    print(f"search page, query {args.query!r}, {args.runs} cold runs in headless Chromium")
    print(summary("opening /search/?q=…, navigation to first results", [ms for ms, _ in runs]))
    print(summary("typing the query on the loaded page, Enter to first results", typed))
    raw_total = gz_total = 0
    for path in sorted(set(runs[0][1])):
        data = file_for(args.site, path).read_bytes()
        gz = len(gzip.compress(data, 6))
        raw_total += len(data)
        gz_total += gz
        print(f"  {path:<40} {len(data) / 1024:8.1f} KB raw {gz / 1024:8.1f} KB gzip")
    print(f"  {'total fetched':<40} {raw_total / 1024:8.1f} KB raw {gz_total / 1024:8.1f} KB gzip")


if __name__ == "__main__":
    main()
