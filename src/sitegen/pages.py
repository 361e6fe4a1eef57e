"""Markdown to safe HTML, for the survey's pages and the taxonomy's topic descriptions.

Markdown here is written by editors but may be pasted from anywhere, so raw HTML is off and links
may only go to http(s), mailto or relative URLs: no `javascript:` and no `data:`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import BuildCache
from .errors import SitegenError
from .models import Page
from .pagefind_search import is_bundle_folder
from .slugs import slugify
from .textfiles import read_text

_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")


def is_safe_link(url: str) -> bool:
    """http(s), mailto and scheme-less (relative) links only."""
    compact = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore these inside a scheme
    scheme = _SCHEME.match(compact)
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@functools.cache
def _markdown() -> MarkdownIt:
    # Imported on first use: ~50 ms that a rebuild whose Markdown is unchanged does not pay.
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    return md


# Markdown → HTML: what this process rendered or an earlier build kept (`markdown_kept_in`), and
# this build's share of it. HTML depends only on the text, sitegen and markdown-it, so a build
# whose Markdown is unchanged renders none of it and never imports markdown-it.
_rendered: dict[str, str] = {}
_this_build: dict[str, str] = {}


def render_markdown(text: str) -> str:
    html = _rendered.get(text)
    if html is None:
        html = _rendered[text] = _markdown().render(text)
    _this_build[text] = html
    return html


@contextlib.contextmanager
def markdown_kept_in(cache: BuildCache) -> Iterator[None]:
    """Around the part of a build that renders Markdown: start from the HTML an earlier build
    kept in `cache`, and keep this build's for the next. Keyed by the installed markdown-it's
    files (found, not imported), so kept HTML is made again when they change."""
    spec = importlib.util.find_spec("markdown_it")
    origin = spec.origin if spec and spec.origin else ""
    stat = os.stat(origin) if origin else None
    key = [origin, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0]
    kept = cache.load("markdown", key)
    _rendered.update(kept or {})
    _this_build.clear()
    yield
    if _this_build != kept:
        cache.keep("markdown", key, dict(_this_build))


def load_pages(pages_dir: Path, site_root: Path | None = None) -> list[Page]:
    """Every `*.md` file becomes a page at `/<slug>/`, titled by its first `# heading`."""
    if not pages_dir.is_dir():
        return []
    pages = []
    for path in sorted(pages_dir.glob("*.md")):
        text = read_text(path, site_root, what="page")
        heading = re.search(r"^#\s+(.+?)\s*#*\s*$", text, re.MULTILINE)
        title = heading.group(1) if heading else path.stem.replace("-", " ").capitalize()
        body = text[: heading.start()] + text[heading.end() :] if heading else text
        slug = slugify(path.stem)
        if is_bundle_folder(slug):  # whatever the engine: a survey that grows switches to Pagefind
            raise SitegenError.at(
                path,
                None,
                f"the page's address /{slug}/ is where the Pagefind search index is published",
                "rename the file (its name is the page's address)",
            )
        pages.append(Page(slug=slug, title=title, html=render_markdown(body), source=path))
    return pages
