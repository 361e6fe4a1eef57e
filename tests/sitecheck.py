"""Helpers that read a built site the way a browser would: links, assets, resources."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class LinkCollector(HTMLParser):
    """Collects (tag, attribute, value) for every link or resource reference in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and name in (
                "href",
                "src",
                "action",
                "data-index",
                "data-docs",
                "data-worker",
                "data-lunr",
            ):
                self.refs.append((tag, name, value))


def page_refs(html_file: Path) -> list[tuple[str, str, str]]:
    collector = LinkCollector()
    collector.feed(html_file.read_text(encoding="utf-8"))
    return collector.refs


def resolve(out: Path, base_path: str, url: str) -> Path | None:
    """The file a same-site URL is served from, or None when it points nowhere."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(base_path):
        return None
    relative = path[len(base_path) :]
    target = out / relative
    if relative == "" or relative.endswith("/"):
        target = target / "index.html"
    return target if target.is_file() else None


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def page_assets(out: Path, page: Path, base_path: str = "/") -> list[Path]:
    """The CSS and JavaScript files a page loads: what counts toward its weight with its HTML."""
    found = {
        target
        for tag, attr, url in page_refs(page)
        if (tag, attr) in {("script", "src"), ("link", "href")}
        and urlsplit(url).path.endswith((".css", ".js"))  # links carry ?v=, a version
        if (target := resolve(out, base_path, url))
    }
    return sorted(found)
