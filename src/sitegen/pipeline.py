"""The one orchestrator: the order of the stages, read top to bottom.

Phase 1 (`load_site`) gathers the whole site in memory and writes nothing — `sitegen check`
stops there. Phase 2 (`render_files`) writes every page into a staging folder beside the output
as it is rendered. Phase 3 (`Staging.commit`) swaps that folder into place atomically.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .assign import Assigner, PackedAssignment, unpack_assigned
from .background import in_background, split_map
from .cache import CACHE_FOLDER, BuildCache, content_digest, file_stamp
from .config import SiteConfig
from .dedupe import merge_duplicates
from .errors import Diagnostics, Problem, SitegenError, counted
from .models import AssignedPaper, Paper, RawPaper, Site, Taxonomy
from .names import PaperNames
from .output import Spare, Staging, check_output_dir, count_files
from .overrides import Overrides, apply_overrides, load_overrides, published_papers
from .pagefind_search import PagefindIndexes, bundle_folders
from .pages import load_pages, markdown_kept_in, render_markdown
from .parse import parse_listing
from .related import related_papers
from .render import copy_static, render_site
from .report import drift_report, topics_in_papers_json
from .search import search_index_inputs, search_index_json
from .similarity import PaperVectors, paper_vectors
from .sources import read_sources
from .taxonomy import load_taxonomy
from .urls import Urls, version_of

T = TypeVar("T")


@dataclass
class BuildReport:
    """What a build did: timings per stage and counts, for the one-line summary."""

    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    drift: str = ""  # topic changes against the previous build's papers.json
    cached: tuple[str, ...] = ()  # results reused from .sitegen-cache/
    on_stage: Callable[[str], None] | None = None  # told when each stage starts (progress display)
    elapsed: float | None = None  # the whole build, start to finish (`build` sets it)

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
    """What the editors wrote, read and checked: papers, taxonomy, overrides."""

    papers: list[Paper]
    taxonomy: Taxonomy
    examples: dict[str, tuple[str, ...]]
    overrides: Overrides
    listings: int


def load_inputs(config: SiteConfig, report: BuildReport, cache: BuildCache | None = None) -> Inputs:
    """Read and parse the listings (a listing whose text is unchanged comes from `cache`), merge
    duplicates, read the taxonomy and overrides."""
    texts = report.timed("read", lambda: read_sources(config.sources_dir, config.root))
    cache = cache or BuildCache(None)
    raw: list[RawPaper] = []
    with report.stage("parse"):
        for source in texts:
            settings = config.listings.get(source.path.name)
            captured = settings.captured if settings else None
            listing = cache.remembered(
                "listing",
                [str(source.path), source.text, captured.isoformat() if captured else None],
                functools.partial(parse_listing, source.text, source.path, captured),
                slot=str(source.path),
            )
            report.diagnostics.extend(list(listing.problems))
            raw.extend(listing.papers)
    _check_listing_settings(config, {t.path.name for t in texts}, report.diagnostics)
    papers = report.timed("merge", lambda: merge_duplicates(raw))
    taxonomy = report.timed("taxonomy", lambda: load_taxonomy(config.taxonomy_path, config.root))
    names = PaperNames(papers)
    examples = names.resolve_examples(taxonomy)
    overrides = report.timed(
        "overrides", lambda: load_overrides(config.overrides_path, names, taxonomy, config.root)
    )
    return Inputs(papers, taxonomy, dict(examples), overrides, len(texts))


def load_site(
    config: SiteConfig,
    report: BuildReport,
    inputs: Inputs | None = None,
    cache: BuildCache | None = None,
    second_core_free: bool = True,
    on_published: Callable[[Sequence[AssignedPaper]], None] | None = None,
) -> Site:
    """Phase 1: read, parse, merge, assign — the whole site in memory, nothing written.

    What depends only on the papers' text (text statistics, related papers) comes from `cache`
    when that text is unchanged: an editor who tweaks the taxonomy does not wait for it again.
    `second_core_free` is False while a child builds the Lunr index: sharing the text statistics
    with another child would then only add the cost of handing the halves back.
    `on_published` is given the published papers as soon as their topics are known, before the
    related papers are found: work that needs only them (a Pagefind index) can start early."""
    inputs = inputs or load_inputs(config, report)
    cache = cache or BuildCache(None)
    papers, taxonomy, overrides = inputs.papers, inputs.taxonomy, inputs.overrides
    text_key = content_digest([(p.slug, p.title, p.abstract) for p in papers])  # hashed once, used 4 times

    @functools.cache
    def text() -> PaperVectors:
        """Read or made when first needed: a build whose assignments and related papers both
        come from the cache (a template or overrides edit) needs no text statistics at all."""
        make = functools.partial(paper_vectors, papers, shared=second_core_free)
        return report.timed("text statistics", lambda: cache.remembered("text-statistics", text_key, make))

    assigner = Assigner(papers, taxonomy, inputs.examples, text)
    automatic = _assign(assigner, papers, text_key, cache, report, text)
    with markdown_kept_in(cache):  # editors' notes, pages and topic descriptions
        assigned = apply_overrides(automatic, overrides)
        pages = report.timed("pages", lambda: load_pages(config.pages_dir, config.root))
        topic_html = {t.id: render_markdown(t.description) for t in taxonomy.walk()}
    published = [p for p in assigned if not p.off_topic]
    if on_published is not None:
        on_published(published)
    slugs = [p.slug for p in published]
    related_key = [text_key, slugs]
    if not cache.holds("related", related_key):
        text()  # in its own stage, before the related papers that need it
    related = report.timed(
        "related",
        lambda: cache.remembered("related", related_key, lambda: related_papers(text().vectors, slugs)),
    )
    site = Site(
        title=config.title,
        description=config.description,
        papers=tuple(assigned),
        taxonomy=taxonomy,
        pages=tuple(pages),
        topic_html=topic_html,
        assigner=assigner,
        overrides=overrides,
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


def _assign(
    assigner: Assigner,
    papers: list[Paper],
    text_key: str,
    cache: BuildCache,
    report: BuildReport,
    text: Callable[[], PaperVectors],
) -> list[AssignedPaper]:
    """Every paper's topics, re-scoring only the topics (and kinds) an edit changed since the
    scores `cache` kept: an editor who sharpens one topic's rules waits for that topic alone.
    When nothing that decides them changed (a template or overrides edit), the assignments
    themselves come from `cache`."""
    key = [text_key, assigner.choice_key]
    packed = (
        report.timed("assign", lambda: cache.load("assignments", key))
        if cache.holds("assignments", key)
        else None
    )
    if packed is None:
        if assigner.similarity_weight:  # each in a stage of its own, first
            text()
            report.timed("similarity", lambda: assigner.similarity)
        packed = report.timed("assign", lambda: _assign_anew(assigner, papers, text_key, cache))
        cache.keep("assignments", key, packed)
    return report.timed(
        "assign",
        lambda: [
            unpack_assigned(paper, assignment) for paper, assignment in zip(papers, packed, strict=True)
        ],
    )


def _assign_anew(
    assigner: Assigner, papers: list[Paper], text_key: str, cache: BuildCache
) -> list[PackedAssignment]:
    assigner.use_kept(cache.load("scores", text_key) or {})
    done = split_map(assigner.assign_packed, papers)
    if any(fresh for _, fresh in done):
        cache.keep("scores", text_key, assigner.remember(papers, [fresh for _, fresh in done]))
    return [assignment for assignment, _ in done]


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


def render_files(
    site: Site, config: SiteConfig, out: Staging, search_engine: str = "lunr", cache: BuildCache | None = None
) -> None:
    """Phase 2: every output file into `out`, but for the search index (see `build`)."""
    static = copy_static(config.static_dir)
    for path, data in static.items():
        out.write(path, data)
    assets = {path.removeprefix("assets/"): version_of(data) for path, data in static.items()}
    urls = Urls(config.base_url, asset_versions=assets)
    context: dict[str, Any] = {
        "title": config.title,
        "description": config.description,
        "author": config.author,
        "language": config.language,
        "latest_count": config.latest_count,
        "topic_page_size": config.topic_page_size,
        "base_url": config.base_url,
        "search_engine": search_engine,
        # Where the Pagefind indexes will be (made meanwhile): the search page merges them.
        "pagefind_bundles": [
            urls.path(f"{folder}/")
            for folder in bundle_folders(len(site.published), config.search.pagefind_shard)
        ],
    }
    compiled = cache.folder / "templates" if cache and cache.folder else None
    render_site(site, config.templates_dir, urls, context, compiled, out)


def build(config: SiteConfig, report: BuildReport | None = None, strict: bool = False) -> BuildReport:
    """All three phases; on any error the previous output stays as it was.

    With `strict`, warnings stop the build before anything is written. The search index is made
    by a second process while this one works: a Lunr index needs only the published papers' text,
    known before assignment (and is reused from the cache when that text has not changed); a
    Pagefind index (surveys past `search.lunr_limit`) also holds each paper's topics, so it starts
    once they are known and runs while the pages are rendered (and is kept from an earlier build
    when its records have not changed).
    """
    report = report or BuildReport()
    started = time.perf_counter()
    cache = BuildCache.beside(config.root)
    check_output_dir(
        config.output_dir, [config.root, config.content_dir, config.templates_dir, config.root / CACHE_FOLDER]
    )
    with contextlib.ExitStack() as cleanup:
        spare = Spare(config.output_dir, cleanup)  # checked beside the build, written into at the end
        inputs = load_inputs(config, report, cache)
        published = published_papers(inputs.papers, inputs.overrides)
        engine = config.search.engine_for(len(published))
        search_inputs = search_index_inputs(published)
        index = cache.lookup("search-index", search_inputs) if engine == "lunr" else None
        lunr_job = None
        if index and index.data is None:
            lunr_job = in_background(functools.partial(search_index_json, search_inputs), cleanup)
        pagefind = None
        if engine == "pagefind":
            paper_url = Urls(config.base_url).paper
            shard = config.search.pagefind_shard
            pagefind = PagefindIndexes(config.output_dir, config.language, paper_url, shard, cleanup, spare)
        site = load_site(
            config,
            report,
            inputs,
            cache,
            second_core_free=lunr_job is None,
            on_published=pagefind.start if pagefind else None,
        )
        if strict and report.diagnostics.warnings:
            raise SitegenError(*report.diagnostics.warnings)
        if search_index_inputs([p.paper for p in site.published]) != search_inputs:
            raise RuntimeError("bug: the search index is made from other papers than the site's")
        staging = Staging.entered(cleanup, config.output_dir, spare=spare)
        report.timed("render", lambda: render_files(site, config, staging, engine, cache))
        folders = {}
        if lunr_job and index:
            index.store(report.timed("search index", lunr_job.result))
        if pagefind:
            folders.update(report.timed("search index", lambda: pagefind.finish(staging)))
        if index:
            staging.write("search-index.json", index.data)  # type: ignore[arg-type]
        report.cached = tuple(cache.hits)
        report.drift = report.timed(
            "drift report", lambda: drift_report(_published_topics(config.output_dir, cache), site.papers)
        )
        made = sum(
            count_files(folder) for folder in [*folders.values(), *map(staging.folder.joinpath, staging.kept)]
        )
        report.counts["files"] = len(staging.written) + made
        report.timed("write", lambda: staging.commit(folders))
        _keep_published_topics(config.output_dir, cache, site.papers)
        report.timed("clean-up", cleanup.close)  # the scratch folder and Pagefind's records removed
    report.elapsed = time.perf_counter() - started
    return report


PUBLISHED_TOPICS = "published-topics"


def _published_topics(output_dir: Path, cache: BuildCache) -> dict[str, list[str]] | None:
    """Each paper's topics in the published papers.json: what the drift report compares with.
    Kept in the cache by the build that published it, under the file's stamp, so a rebuild does
    not parse the whole file again (16 MB at 10,000 papers: ~0.2 s; at 50,000, ~1 s)."""
    published = output_dir / "papers.json"
    try:
        stamp = file_stamp(published)
    except OSError:
        return None  # a first build: nothing to compare with
    kept = cache.load(PUBLISHED_TOPICS, stamp)
    return kept if kept is not None else topics_in_papers_json(published.read_bytes())


def _keep_published_topics(output_dir: Path, cache: BuildCache, papers: Sequence[AssignedPaper]) -> None:
    with contextlib.suppress(OSError):
        stamp = file_stamp(output_dir / "papers.json")
        cache.keep(PUBLISHED_TOPICS, stamp, {p.slug: p.topic_ids for p in papers})
