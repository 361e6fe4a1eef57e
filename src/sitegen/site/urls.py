"""Every link and every output path of the site, in one place, honouring `base_url`.

Links are root-relative paths under the base path (`/survey/papers/x/`), so one build works
wherever the base says; sitemap and feed need absolute URLs, which only a base with a host gives.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from urllib.parse import quote, urlsplit


class Urls:
    """Maps site objects to link paths (for templates) and output file paths (for writing)."""

    def __init__(self, base_url: str, asset_versions: Mapping[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        # assets/ file → a digest of its bytes: a browser that cached an older copy of a script
        # or style sheet (GitHub Pages lets it keep one for 10 minutes) fetches the new one.
        self.asset_versions = dict(asset_versions or {})
        self.base_url = base_url
        self.base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""
        self._paths: dict[str, str] = {}  # a site links to each page from many pages

    def path(self, relative: str = "", version: str = "") -> str:
        """A file's or page's link; with `version` (`version_of` its bytes), `?v=` and it."""
        link = self._paths.get(relative)
        if link is None:
            link = self._paths[relative] = self.base_path + quote(relative.lstrip("/"), safe="/#?=&")
        return f"{link}?v={version}" if version else link

    def home(self) -> str:
        return self.path("")

    def topic(self, topic_id: str) -> str:
        return self.path(f"topics/{topic_id}/")

    def topic_page(self, topic_id: str, order: str, number: int) -> str:
        """One page of a topic's papers listed in `order` ("date" or "upvotes"), from 1."""
        ordered = "" if order == "date" else f"{order}/"
        page = "" if number == 1 else f"page/{number}/"
        return self.path(f"topics/{topic_id}/{ordered}{page}")

    def paper(self, slug: str) -> str:
        return self.path(f"papers/{slug}/")

    def page(self, slug: str) -> str:
        return self.path(f"{slug}/")

    def search(self) -> str:
        return self.path("search/")

    def unsorted(self) -> str:
        return self.path("unsorted/")

    def asset(self, name: str) -> str:
        """An `assets/` file's link, with `?v=` and a digest of its bytes when they are known."""
        return self.path(f"assets/{name}", self.asset_versions.get(name, ""))

    def absolute(self, link: str) -> str:
        """An absolute URL when base_url has a host, else the path (the best that can be said)."""
        return self.origin + link

    @property
    def has_host(self) -> bool:
        return bool(self.origin)


def output_file(link_path: str, base_path: str) -> str:
    """The file a link path is served from: `/base/papers/x/` → `papers/x/index.html`."""
    relative = link_path[len(base_path) :] if link_path.startswith(base_path) else link_path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        return relative + "index.html"
    return relative


def version_of(data: bytes) -> str:
    """A short digest of a file's bytes for its links (`?v=`): it changes when the file does."""
    return hashlib.sha256(data).hexdigest()[:10]
