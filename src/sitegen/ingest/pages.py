"""The survey's own pages: every `content/pages/*.md` becomes a page at `/<file name>/`."""

from __future__ import annotations

import re
from pathlib import Path

from ..markdown import render_markdown
from ..models import Page
from ..textfiles import read_text
from .slugs import slugify

_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def load_pages(pages_dir: Path, site_root: Path | None = None) -> list[Page]:
    """Every `*.md` file, titled by its first `# heading` (else by its file name)."""
    if not pages_dir.is_dir():
        return []
    pages = []
    for path in sorted(pages_dir.glob("*.md")):
        text = read_text(path, site_root, what="page")
        heading = _HEADING.search(text)
        title = heading.group(1) if heading else path.stem.replace("-", " ").capitalize()
        body = text[: heading.start()] + text[heading.end() :] if heading else text
        pages.append(Page(slug=slugify(path.stem), title=title, html=render_markdown(body), source=path))
    return pages
