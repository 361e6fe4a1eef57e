"""The one orchestrator: the order of the stages, read top to bottom.

    read and parse → merge → taxonomy and overrides → assign → related     (`load_site`)
    → render → search index → publish                                       (`build`)

`load_site` gathers the whole site in memory and writes nothing: `sitegen check`, `explain` and
the preview stop there. `build` renders every file into a staging folder beside the output and
swaps it in only when complete. Stages are plain calls with typed results; the only work shared
among the cores (`parallel.run`) is decided here, and no stage knows about processes.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from . import parallel
from .cache import CACHE_FOLDER, Cache, digest
from .classify.assign import Assigner
from .classify.names import PaperNames
from .classify.overrides import Overrides, apply_overrides, load_decisions, load_overrides
from .classify.related import RelatedIndex
from .classify.similarity import Vector, paper_vectors
from .classify.taxonomy import load_taxonomy
from .config import SiteConfig
from .errors import Diagnostics, Problem, SitegenError, counted
from .ingest.listings import parse_listing
from .ingest.merge import merge_duplicates
from .ingest.pages import load_pages
from .ingest.sources import read_sources
from .markdown import render_markdown
from .models import AssignedPaper, Page, Paper, RawPaper, Site, Taxonomy
from .publish import Staging, check_output_dir, count_files, published_topics
from .search import lunr, pagefind
from .site.render import Make, SiteFiles, copy_static, site_files
from .site.urls import Urls, version_of

T = TypeVar("T")


@dataclass
class BuildReport:
    """What a build did: timings per stage and counts, for the one-line summary."""

    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    before: dict[str, list[str]] | None = None  # each paper's topics in the site replaced (None: none)
    papers: tuple[AssignedPaper, ...] = ()  # the papers of the site built
    cached: tuple[str, ...] = ()  # results reused from .sitegen-cache/
    on_stage: Callable[[str], None] | None = None  # told when each stage starts (progress display)
    elapsed: float | None = None  # the whole build, start to finish

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage:
            self.on_stage(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def timed(self, name: str, work: Callable[[], T]) -> T:
        with self.stage(name):
            return work()

    def summary(self) -> str:
        counts = ", ".join(counted(n, what) for what, n in self.counts.items())
        timings = dict(self.timings)
        total = sum(timings.values())
        if self.elapsed is not None:  # what no stage timed, so the parts add up to the whole
            timings["other"] = max(0.0, self.elapsed - total)
            total = self.elapsed
        stages = ", ".join(f"{name} {secs * 1000:.0f} ms" for name, secs in timings.items())
        reused = f"; reused from cache: {', '.join(self.cached)}" if self.cached else ""
        return f"{counts} in {total:.2f} s ({stages}){reused}"


@dataclass(frozen=True)
class Inputs:
    """What the editors wrote, read and checked: papers, taxonomy, examples, overrides."""

    papers: list[Paper]
    taxonomy: Taxonomy
    examples: dict[str, tuple[str, ...]]  # topic id → the papers the taxonomy names as its examples
    decisions: Overrides
    overrides: Overrides
    listings: int


def load_inputs(config: SiteConfig, report: BuildReport) -> Inputs:
    """Read and parse the listings, merge the same paper from several, read the taxonomy, the
    editors' decisions and overrides (which name papers, so they come after)."""
    papers, listings = _read_papers(config, report)
    taxonomy = report.timed("taxonomy", lambda: load_taxonomy(config.taxonomy_path, config.root))
    names = PaperNames(papers)

    def editors() -> tuple[Overrides, Overrides]:
        return (
            load_decisions(config.decisions_path, names, taxonomy, config.root),
            load_overrides(config.overrides_path, names, taxonomy, config.root),
        )

    decisions, overrides = report.timed("overrides", editors)
    return Inputs(papers, taxonomy, names.resolve_examples(taxonomy), decisions, overrides, listings)


def load_site(config: SiteConfig, report: BuildReport, cache: Cache | None = None) -> Site:
    """Phase 1: read, parse, merge, assign — the whole site in memory, nothing written."""
    cache = cache or Cache(None)
    inputs = load_inputs(config, report)
    papers, taxonomy = inputs.papers, inputs.taxonomy
    text_key = digest([(p.slug, p.title, p.abstract) for p in papers])
    text = report.timed(
        "text statistics",
        lambda: cache.remembered("text-statistics", text_key, lambda: paper_vectors(papers)),
    )
    assigner = Assigner(papers, taxonomy, inputs.examples, lambda: text)
    assigned = report.timed(
        "assign",
        lambda: apply_overrides(
            apply_overrides(_assign(assigner, papers), inputs.decisions), inputs.overrides
        ),
    )
    published = [p.slug for p in assigned if not p.off_topic]
    related = report.timed(
        "related",
        lambda: cache.remembered("related", [text_key, published], lambda: _related(text.vectors, published)),
    )
    pages = report.timed("pages", lambda: _load_pages(config))
    site = Site(
        title=config.title,
        description=config.description,
        papers=tuple(assigned),
        taxonomy=taxonomy,
        pages=tuple(pages),
        topic_html={t.id: render_markdown(t.description) for t in taxonomy.walk()},
        assigner=assigner,
        overrides=inputs.overrides,
        related=related,
    )
    _warn_empty_topics(site, config, report.diagnostics)
    report.counts.update(
        papers=len(assigned),
        topics=len(taxonomy.walk()),
        unsorted=len(site.unsorted),
        **{"off-topic": len(site.off_topic)},
        listings=inputs.listings,
    )
    return site


def _read_papers(config: SiteConfig, report: BuildReport) -> tuple[list[Paper], int]:
    """Every listing read and parsed, the same paper from several merged; and how many listings."""
    texts = report.timed("read", lambda: read_sources(config.sources_dir, config.root))
    raw: list[RawPaper] = []
    with report.stage("parse"):
        for source in texts:
            settings = config.listings.get(source.path.name)
            listing = parse_listing(source.text, source.path, settings.captured if settings else None)
            report.diagnostics.extend(list(listing.problems))
            raw.extend(listing.papers)
    _check_listing_settings(config, {t.path.name for t in texts}, report.diagnostics)
    return report.timed("merge", lambda: merge_duplicates(raw)), len(texts)


def _assign(assigner: Assigner, papers: list[Paper]) -> list[AssignedPaper]:
    """Every paper's automatic topics, the papers shared among the cores (what all of them
    need, the topics' similarity profiles, is made first, here)."""
    _ = assigner.similarity and assigner.similarity.profiles.postings
    return parallel.map_each(assigner.assign, papers)


def _related(vectors: Mapping[str, Vector], published: list[str]) -> dict[str, tuple[str, ...]]:
    """Every published paper's related papers, the papers shared among the cores."""
    index = RelatedIndex(vectors, published)
    return dict(zip(published, parallel.map_each(index.neighbours, published), strict=True))


def _load_pages(config: SiteConfig) -> list[Page]:
    pages = load_pages(config.pages_dir, config.root)
    for page in pages:
        if pagefind.is_bundle_folder(page.slug):  # whatever the engine: a survey that grows switches
            raise SitegenError.at(
                page.source,
                None,
                f"the page's address /{page.slug}/ is where the Pagefind search index is published",
                "rename the file (its name is the page's address)",
            )
    return pages


def _warn_empty_topics(site: Site, config: SiteConfig, diagnostics: Diagnostics) -> None:
    for topic in site.empty_topics():
        diagnostics.warn(
            config.taxonomy_path,
            topic.line,
            f"topic '{topic.id}' has no papers",
            "widen its rules, list example papers, or remove it (sitegen explain shows scores)",
        )


def _check_listing_settings(config: SiteConfig, names: set[str], diagnostics: Diagnostics) -> None:
    for name in sorted(set(config.listings) - names):
        diagnostics.extend(
            [
                Problem(
                    config.path,
                    None,
                    f"listings: '{name}' names no file in {config.sources_dir}",
                    "fix the file name or remove the entry",
                )
            ]
        )


@dataclass(frozen=True)
class Output:
    """Phase 2's plan: every file of the site (each made when asked) and how it is searched."""

    files: SiteFiles
    engine: str  # "lunr" or "pagefind"
    search_inputs: dict[str, Any]  # what the Lunr index is made from (its cache key)


def plan_output(site: Site, config: SiteConfig, engine: str, cache: Cache | None = None) -> Output:
    """Phase 2's plan: the site's files, with the static assets and the search data among them."""
    static = copy_static(config.static_dir)
    urls = Urls(
        config.base_url, {path.removeprefix("assets/"): version_of(data) for path, data in static.items()}
    )
    extra: dict[str, Make] = {path: functools.partial(bytes, data) for path, data in static.items()}
    search_inputs = lunr.search_index_inputs([p.paper for p in site.published])
    context: dict[str, Any] = {
        "title": config.title,
        "description": config.description,
        "author": config.author,
        "language": config.language,
        "latest_count": config.latest_count,
        "topic_page_size": config.topic_page_size,
        "base_url": config.base_url,
        "search_engine": engine,
        "pagefind_bundles": [
            urls.path(f"{folder}/")
            for folder in pagefind.bundle_folders(len(site.published), config.search.pagefind_shard)
        ],
    }
    if engine == "lunr":
        # The index's refs are positions in search-docs.json: both are linked with the version
        # of the documents, so a browser never pairs a cached index with newer records.
        docs = lunr.dump_json(lunr.search_documents(site.published, urls.paper))
        context["search_version"] = version_of(docs)
        extra["search-docs.json"] = functools.partial(bytes, docs)
        keep = cache or Cache(None)
        extra["search-index.json"] = functools.partial(
            keep.remembered,
            "search-index",
            search_inputs,
            functools.partial(lunr.search_index_json, search_inputs),
        )
    files = site_files(site, config.templates_dir, urls, context, extra)
    return Output(files, engine, search_inputs)


def build(config: SiteConfig, report: BuildReport | None = None, strict: bool = False) -> BuildReport:
    """All phases; on any error the previous output stays as it was.

    With `strict`, warnings stop the build before anything is written."""
    report = report or BuildReport()
    started = time.perf_counter()
    protected = [config.root, config.content_dir, config.templates_dir, config.root / CACHE_FOLDER]
    check_output_dir(config.output_dir, protected)
    cache = Cache.beside(config.root)
    site = load_site(config, report, cache)
    if strict and report.diagnostics.warnings:
        raise SitegenError(*report.diagnostics.warnings)
    engine = config.search.engine_for(len(site.published))
    output = report.timed("render", lambda: plan_output(site, config, engine, cache))
    with Staging(config.output_dir) as staging:
        indexes = _pagefind_indexes(site, config, staging.folder) if engine == "pagefind" else None
        try:
            if indexes:
                report.timed("search index", indexes.start)
            report.timed("render", lambda: _write_all(output, staging, cache))
            folders = report.timed("search index", indexes.finish) if indexes else []
        finally:
            if indexes:
                indexes.stop()
        report.cached = tuple(dict.fromkeys(cache.hits))
        report.before, report.papers = published_topics(config.output_dir), site.papers
        report.counts["files"] = len(staging.written) + sum(count_files(staging.folder / f) for f in folders)
        report.timed("write", staging.commit)
    report.elapsed = time.perf_counter() - started
    return report


def _write_all(output: Output, staging: Staging, cache: Cache) -> None:
    """Make every file and write it into `staging`, shared among the cores: each worker writes
    the files it makes (a survey's pages are hundreds of megabytes, not worth sending back). The
    Lunr index, the slowest single file, is a job of its own (which keeps it in the cache) unless
    the cache holds it."""
    files = dict(output.files)
    index = files.pop("search-index.json", None)
    jobs = [
        functools.partial(_write, staging, {p: files[p] for p in part})
        for part in parallel.chunks(list(files))
    ]
    if index is not None:
        kept = cache.lookup("search-index", output.search_inputs)
        if kept is not None:
            staging.write("search-index.json", kept)
        else:
            jobs.insert(0, functools.partial(_write, staging, {"search-index.json": index}))
    for written in parallel.run(jobs):
        staging.written.update(written)


def _write(staging: Staging, files: dict[str, Make]) -> list[str]:
    for path, make in files.items():
        staging.write(path, make())
    return list(files)


def _pagefind_indexes(site: Site, config: SiteConfig, folder: Path) -> pagefind.PagefindIndexes:
    paper_url = Urls(config.base_url).paper
    bundles = pagefind.plan_bundles(site.published, paper_url, config.language, config.search.pagefind_shard)
    return pagefind.PagefindIndexes(bundles, config.language, folder, config.output_dir)
