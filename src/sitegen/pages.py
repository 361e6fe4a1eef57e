"""Markdown to safe HTML, for the survey's pages and the taxonomy's topic descriptions.

Markdown here is written by editors but may be pasted from anywhere, so raw HTML is off and links
may only go to http(s), mailto or relative URLs: no `javascript:` and no `data:`.
"""

from __future__ import annotations

import re
from pathlib import Path

from markdown_it import MarkdownIt

from .models import Page
from .slugs import slugify
from .textfiles import read_text

_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")


def is_safe_link(url: str) -> bool:
    """http(s), mailto and scheme-less (relative) links only."""
    compact = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore these inside a scheme
    scheme = _SCHEME.match(compact)
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    return md


_MD = _markdown()


def render_markdown(text: str) -> str:
    return _MD.render(text)


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
        pages.append(Page(slug=slugify(path.stem), title=title, html=render_markdown(body), source=path))
    return pages
