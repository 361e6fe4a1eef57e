"""Read `site.yaml` into a validated, frozen `SiteConfig`.

Paths in site.yaml are relative to the folder that holds it, so a survey can be built from
anywhere. Every problem is reported at once with its line and the closest valid key.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import Problem, SitegenError
from .yamlio import LineDict, line_of, load_yaml, unknown_key_problems

CONFIG_KEYS = {
    "title": "the survey's name, shown in every page header",
    "description": "one or two sentences on what the survey covers (home page, feed, metadata)",
    "base_url": "where the site will live, e.g. https://you.github.io/survey/ or /survey/",
    "author": "who maintains the survey (feed author)",
    "language": "language code of the pages, e.g. en",
    "content_dir": "folder with sources/ (listings) and pages/ (Markdown)",
    "templates_dir": "folder with the Jinja2 templates and static/ assets",
    "output_dir": "where the built site is written",
    "taxonomy": "the taxonomy YAML file",
    "overrides": "the editors' corrections to single papers: metadata, links, notes (optional)",
    "decisions": "the editors' reviewed placements, written by sitegen review (optional)",
    "latest_count": "how many recent papers the home page lists",
    "topic_page_size": "papers per topic page; a larger topic gets numbered pages (0: one page)",
    "listings": "per-listing settings, e.g. the capture date of a listing",
    "search": "how the search page searches: engine (auto, lunr or pagefind) and lunr_limit",
}
SEARCH_KEYS = {
    "engine": "auto (Lunr up to lunr_limit papers, Pagefind beyond), lunr or pagefind",
    "lunr_limit": "the most papers the auto engine gives a Lunr index (default 5000)",
    "pagefind_shard": "papers per Pagefind index (default 10000); a larger survey gets several (0: one)",
}
SEARCH_ENGINES = ("auto", "lunr", "pagefind")
LISTING_KEYS = {"captured": "date the listing was copied (YYYY-MM-DD): the year of dates without one"}


@dataclass(frozen=True)
class ListingSettings:
    """What an editor tells sitegen about one listing file."""

    captured: dt.date | None = None


@dataclass(frozen=True)
class SearchSettings:
    """Which index the search page uses. A Lunr index is one file the browser loads whole: quick
    for a few thousand papers, too heavy beyond; Pagefind fetches only what a query needs."""

    engine: str = "auto"
    lunr_limit: int = 5000
    pagefind_shard: int = 10_000  # Pagefind needs ~1.2 GB per 10,000 papers to index them

    def engine_for(self, papers: int) -> str:
        if self.engine != "auto":
            return self.engine
        return "lunr" if papers <= self.lunr_limit else "pagefind"


@dataclass(frozen=True)
class SiteConfig:
    """Everything the build needs to know from site.yaml, with paths made absolute."""

    path: Path
    title: str
    description: str
    base_url: str
    author: str
    language: str
    content_dir: Path
    templates_dir: Path
    output_dir: Path
    taxonomy_path: Path
    overrides_path: Path
    decisions_path: Path
    latest_count: int = 10
    topic_page_size: int = 100
    listings: dict[str, ListingSettings] = field(default_factory=dict)
    search: SearchSettings = field(default_factory=lambda: SearchSettings())

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def sources_dir(self) -> Path:
        return self.content_dir / "sources"

    @property
    def pages_dir(self) -> Path:
        return self.content_dir / "pages"

    @property
    def static_dir(self) -> Path:
        return self.templates_dir / "static"

    def with_overrides(self, *, output_dir: Path | None = None, base_url: str | None = None) -> SiteConfig:
        """The same config with CLI options applied (`--out`, `--base-url`)."""
        changed = self
        if output_dir is not None:
            changed = replace(changed, output_dir=output_dir.resolve())
        if base_url is not None:
            changed = replace(changed, base_url=normalise_base_url(base_url))
        return changed


def normalise_base_url(value: str) -> str:
    """Base URLs always end in '/', so joining a relative path never drops a segment."""
    value = value.strip()
    if not value:
        return "/"
    if not value.endswith("/"):
        value += "/"
    return value


def load_config(path: Path) -> SiteConfig:
    """Read and validate site.yaml; raise one `SitegenError` listing every problem."""
    path = path.resolve()
    data = load_yaml(path)
    if data is None:
        data = LineDict()
    if not isinstance(data, dict):
        raise SitegenError.at(
            path, 1, "site.yaml must be a mapping of keys to values", "see the README for the keys"
        )
    problems = unknown_key_problems(data, CONFIG_KEYS, path, "site.yaml")
    values = _read_values(data, path, problems)
    if problems:
        raise SitegenError(*problems)
    return SiteConfig(path=path, **values)


def _read_values(data: dict[str, Any], path: Path, problems: list[Problem]) -> dict[str, Any]:
    root = path.parent

    def text(key: str, default: str) -> str:
        value = data.get(key, default)
        if value is None:
            value = default
        if not isinstance(value, str | int | float):
            problems.append(Problem(path, line_of(data, key), f"'{key}' must be text", CONFIG_KEYS[key]))
            return default
        return str(value)

    def place(key: str, default: str) -> Path:
        # Absolute but not resolved: a symbolic link stays visible, so reading through one that
        # leads outside the site can be refused (textfiles.py).
        return Path(os.path.abspath(root / text(key, default)))

    title = text("title", "")
    if not title.strip():
        problems.append(
            Problem(
                path,
                line_of(data, "title"),
                "'title' is missing or empty",
                "give the survey a name, e.g. title: My survey",
            )
        )
    base_url = normalise_base_url(text("base_url", "/"))
    if not (base_url.startswith("/") or urlsplit(base_url).scheme in ("http", "https")):
        problems.append(
            Problem(
                path,
                line_of(data, "base_url"),
                f"base_url '{base_url}' is neither a path nor an http(s) URL",
                "use e.g. /survey/ or https://you.github.io/survey/",
            )
        )
    latest = _whole_number(data, "latest_count", 10, path, problems)
    page_size = _whole_number(data, "topic_page_size", 100, path, problems)
    return {
        "title": title.strip(),
        "description": text("description", "").strip(),
        "base_url": base_url,
        "author": text("author", "").strip(),
        "language": text("language", "en").strip() or "en",
        "content_dir": place("content_dir", "content"),
        "templates_dir": place("templates_dir", "templates"),
        "output_dir": place("output_dir", "public").resolve(),
        "taxonomy_path": place("taxonomy", "content/taxonomy.yaml"),
        "overrides_path": place("overrides", "content/overrides.yaml"),
        "decisions_path": place("decisions", "content/decisions.yaml"),
        "latest_count": latest,
        "topic_page_size": page_size,
        "listings": _read_listings(data.get("listings"), data, path, problems),
        "search": _read_search(data.get("search"), data, path, problems),
    }


def _read_search(raw: Any, data: dict[str, Any], path: Path, problems: list[Problem]) -> SearchSettings:
    if raw is None:
        return SearchSettings()
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                path,
                line_of(data, "search"),
                "'search' must be a mapping",
                "e.g. search: {engine: auto, lunr_limit: 5000}",
            )
        )
        return SearchSettings()
    problems.extend(unknown_key_problems(raw, SEARCH_KEYS, path, "search"))
    engine = raw.get("engine", "auto")
    if engine not in SEARCH_ENGINES:
        problems.append(
            Problem(
                path,
                line_of(raw, "engine"),
                f"unknown search engine '{engine}'",
                f"use one of: {', '.join(SEARCH_ENGINES)}",
            )
        )
        engine = "auto"
    limit = _whole_number(raw, "lunr_limit", 5000, path, problems)
    shard = _whole_number(raw, "pagefind_shard", 10_000, path, problems)
    return SearchSettings(engine=str(engine), lunr_limit=limit, pagefind_shard=shard)


def _whole_number(data: dict[str, Any], key: str, default: int, path: Path, problems: list[Problem]) -> int:
    """`data[key]` when it is a whole number ≥ 0; else a problem at its line, and the default."""
    value = data.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    problems.append(
        Problem(path, line_of(data, key), f"'{key}' must be a whole number ≥ 0", f"e.g. {key}: {default}")
    )
    return default


def _read_listings(
    raw: Any, data: dict[str, Any], path: Path, problems: list[Problem]
) -> dict[str, ListingSettings]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                path,
                line_of(data, "listings"),
                "'listings' must map listing file names to settings",
                "e.g. listings: {001.txt: {captured: 2025-12-08}}",
            )
        )
        return {}
    listings = {}
    for name, settings in raw.items():
        where = line_of(raw, name)
        if not isinstance(settings, dict):
            problems.append(
                Problem(
                    path,
                    where,
                    f"settings of listing '{name}' must be a mapping",
                    "e.g. captured: 2025-12-08",
                )
            )
            continue
        problems.extend(unknown_key_problems(settings, LISTING_KEYS, path, f"listing '{name}'"))
        captured = settings.get("captured")
        if captured is not None and not isinstance(captured, dt.date):
            problems.append(
                Problem(
                    path,
                    line_of(settings, "captured"),
                    f"'captured' of listing '{name}' is not a date",
                    "write it as YYYY-MM-DD",
                )
            )
            captured = None
        listings[str(name)] = ListingSettings(captured=captured)
    return listings
