"""Markdown to safe HTML, for the survey's pages, topic descriptions and editors' notes.

Markdown here is written by editors but may be pasted from anywhere, so raw HTML is off and links
may only go to http(s), mailto or relative URLs: no `javascript:` and no `data:`.
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt

_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")


def is_safe_link(url: str) -> bool:
    """http(s), mailto and scheme-less (relative) links only."""
    compact = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore these inside a scheme
    scheme = _SCHEME.match(compact)
    return scheme is None or scheme.group(1).lower() in _SAFE_SCHEMES


@functools.cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]
    return md


def render_markdown(text: str) -> str:
    return _markdown().render(text)
