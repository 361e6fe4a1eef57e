"""The `Site` as output files — each file a function that makes its bytes.

`sitegen build` makes them all (the pipeline shares the paper pages among the cores); the preview
makes only the pages a browser asks for. Jinja2 runs with autoescape on, so titles and abstracts
from listings are always text, never markup, and with StrictUndefined, so a template typo fails
the build instead of printing nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jinja2
from markupsafe import Markup

from ..errors import SitegenError
from ..models import KINDS, AssignedPaper, Site
from .bibtex import bibtex_entry, bibtex_file
from .charts import YearCounts, topic_year_grid, year_bars, year_span
from .exports import PaperRecords, atom_feed, papers_csv, papers_json, sitemap_xml, topic_json
from .topics import TopicNode, breadcrumbs, topic_pages, topic_tree, walk
from .urls import Urls, output_file

Make = Callable[[], bytes]  # makes one file's bytes


def make_environment(templates_dir: Path, urls: Urls) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one environment per build: no need to stat templates on every page
    )
    env.globals["urls"] = urls
    env.filters["arxiv_search"] = lambda title: (
        f"https://arxiv.org/search/?query={quote_plus(title)}&searchtype=title"
    )
    env.filters["hf_search"] = lambda title: f"https://huggingface.co/papers?q={quote_plus(title)}"
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}" if d else ""
    return env


class Renderer:
    """Renders the site's templates. Parts that many pages share — the navigation tree, a
    paper's entry in a list — are rendered once per distinct input and reused (`*_once`)."""

    def __init__(self, site: Site, templates_dir: Path, urls: Urls, config: dict[str, Any]) -> None:
        self.site = site
        self.urls = urls
        self.env = make_environment(templates_dir, urls)
        self.by_id = by_id = site.taxonomy.by_id()
        self.tree = topic_tree(site)
        self.common: dict[str, Any] = {"site": site, "config": config, "tree": self.tree}
        self.env.globals["topic_titles"] = {tid: t.title for tid, t in by_id.items()}
        self.branch_ids = {t.id: frozenset(b.id for b in t.branch()) for t in by_id.values()}
        self.branch_links = {tid: {urls.topic(i) for i in ids} for tid, ids in self.branch_ids.items()}
        self.topic_links = {urls.topic(tid) for tid in by_id}
        self.once: dict[tuple[Any, ...], Markup] = {}
        self.env.globals["topic_nav"] = self.topic_nav
        self.env.globals["nav_node_once"] = self.nav_node_once
        self.env.globals["paper_item_once"] = self.paper_item_once

    def topic_nav(self, current: str, current_topics: set[str]) -> Markup:
        """The navigation's topic tree (the `nav_tree` macro of _macros.html), marked for this page."""
        marking = frozenset(current_topics)
        key = (current if current in self.topic_links else None, marking)
        return self._macro_once("nav_tree", key, self.tree, current, marking)

    def nav_node_once(self, node: TopicNode, current: str, current_topics: frozenset[str]) -> Markup:
        """One topic's branch of the navigation (`nav_node`), once per distinct marking of it."""
        tid = node.topic.id
        marking = (
            current if current in self.branch_links[tid] else None,
            current_topics & self.branch_ids[tid],
        )
        return self._macro_once("nav_node", (tid, *marking), node, current, current_topics)

    def paper_item_once(self, item: AssignedPaper, topic_id: str | None = None) -> Markup:
        """A paper's entry in a list (`paper_item`), once per paper and listing topic."""
        return self._macro_once("paper_item", (item.slug, topic_id), item, topic_id)

    def _macro_once(self, name: str, key: tuple[Any, ...], *args: Any) -> Markup:
        """A macro of _macros.html called once per `key`: what it renders may depend only on
        `key` (drawn from its arguments) and the environment's globals."""
        if (name, *key) not in self.once:
            macro = getattr(self.env.get_template("_macros.html").module, name)
            self.once[(name, *key)] = Markup(macro(*args))
        return self.once[(name, *key)]

    def render(self, template: str, link: str, **context: Any) -> bytes:
        """One page's HTML; template mistakes become errors that name the template."""
        try:
            context.setdefault("current_topics", set())
            html = self.env.get_template(template).render(**self.common, current=link, **context)
        except jinja2.TemplateSyntaxError as exc:
            raise SitegenError.at(
                exc.filename or template,
                exc.lineno,
                f"template syntax error: {exc.message}",
                "fix the template",
            ) from None
        except jinja2.UndefinedError as exc:
            raise SitegenError.at(
                template,
                None,
                f"template uses something undefined: {exc.message}",
                "check the variable names against the README",
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise SitegenError.at(
                str(exc.name or template), None, "template not found", "add it to the templates folder"
            ) from None
        return html.encode("utf-8")

    def paper_page(self, paper: AssignedPaper) -> bytes:
        site, first = self.site, paper.first_topic_id
        newer, older = site.neighbours(paper)
        return self.render(
            "paper.html",
            self.urls.paper(paper.slug),
            paper=paper,
            breadcrumbs=breadcrumbs(self.by_id[first], self.by_id) if first else [],
            newer=newer,
            older=older,
            related=site.related_to(paper),
            bibtex=bibtex_entry(paper, self.urls),
            current_topics={a.topic_id for a in (*paper.topics, *paper.subtopics)},
        )


class SiteFiles(dict[str, Make]):
    """Output path → the function that makes the file; refuses a path twice."""

    def add(self, path: str, make: Make) -> None:
        if path in self:
            raise SitegenError.at(
                None, None, f"two outputs want the same file '{path}'", "rename one of the pages or topics"
            )
        self[path] = make


def site_files(
    site: Site, templates_dir: Path, urls: Urls, config: dict[str, Any], extra: Mapping[str, Make]
) -> SiteFiles:
    """Every output file of the site, with `extra` ones (static assets, search data) among them.

    Paper pages come first, in the published papers' order (the pipeline shares them among the
    cores); the sitemap lists every page."""
    r = Renderer(site, templates_dir, urls, config)
    files = SiteFiles()
    links: list[str] = []

    def page(link: str, template: str, in_sitemap: bool = True, **context: Any) -> None:
        files.add(output_file(link, urls.base_path), functools.partial(r.render, template, link, **context))
        if in_sitemap:
            links.append(link)

    for paper in site.published:
        link = urls.paper(paper.slug)
        files.add(output_file(link, urls.base_path), functools.partial(r.paper_page, paper))
        links.append(link)
    records = PaperRecords(urls)  # papers.json, papers.csv and every topic's JSON list the same records
    _home_and_topics(r, site, config, page, files, records)
    for p in site.pages:
        page(urls.page(p.slug), "page.html", page=p)
    page(urls.unsorted(), "unsorted.html", papers=site.unsorted)
    page(
        urls.search(),
        "search.html",
        search_years=sorted({p.paper.date.year for p in site.published if p.paper.date}, reverse=True),
        search_kinds=[k for k in KINDS if any(p.kind == k for p in site.published)],
        search_version=config.get("search_version", ""),
    )
    page(urls.path("404.html"), "404.html", in_sitemap=False)
    files.add("papers.json", lambda: papers_json(site.papers, records))
    files.add("papers.csv", lambda: papers_csv(site.papers, records))
    files.add("papers.bib", lambda: bibtex_file(site.published, urls))
    files.add(
        "feed.xml", lambda: atom_feed(site.published, urls, site.title, site.description, config["author"])
    )
    for path, make in extra.items():
        files.add(path, make)
    files.add("sitemap.xml", lambda: sitemap_xml(links, urls))
    files.add(".nojekyll", lambda: b"")
    return files


def _home_and_topics(
    r: Renderer,
    site: Site,
    config: dict[str, Any],
    page: Callable[..., None],
    files: SiteFiles,
    records: PaperRecords,
) -> None:
    urls = r.urls
    latest = sorted(site.published, key=_latest_key)[: config["latest_count"]]
    everything = YearCounts.of("all", site.published)
    grid = None
    if _worth_charting(everything):
        rows = [YearCounts.of(t.title, site.in_topic(t.id)) for t in site.taxonomy.topics]
        grid = topic_year_grid(rows, "chart-topics", "Papers per year in each topic")
    page(urls.home(), "home.html", latest=latest, chart=grid, undated=everything.undated)
    chart_years = year_span([everything])
    for node in walk(r.tree):
        topic, papers = node.topic, site.in_topic(node.topic.id)
        counts = YearCounts.of(topic.title, papers)
        for link, pager in topic_pages(topic.id, papers, config["topic_page_size"], urls):
            page(
                link,
                "topic.html",
                node=node,
                papers=pager.papers if pager else papers,
                total=len(papers),
                pager=pager,
                breadcrumbs=breadcrumbs(topic, r.by_id),
                description_html=site.topic_html[topic.id],
                chart=(
                    year_bars(counts, chart_years, "chart-years", f"Papers per year in {topic.title}")
                    if _worth_charting(counts)
                    else None
                ),
                undated=counts.undated,
                data_file=urls.path(topic_json_file(topic.id)),
                current_topics={topic.id},
            )
        files.add(topic_json_file(topic.id), functools.partial(topic_json, topic, papers, records))


def _worth_charting(counts: YearCounts) -> bool:
    """A chart of papers per year says something only when most of the papers have a date."""
    dated = sum(counts.by_year.values())
    return dated > 0 and dated >= counts.undated


def topic_json_file(topic_id: str) -> str:
    return f"topics/{topic_id}/papers.json"


def _latest_key(paper: AssignedPaper) -> tuple[int, str]:
    date = paper.paper.date
    return (-date.toordinal() if date else 1, paper.slug)


def copy_static(static_dir: Path) -> dict[str, bytes]:
    """The theme's static files (CSS, JS, vendored lunr.js) under `assets/`."""
    if not static_dir.is_dir():
        return {}
    return {
        "assets/" + path.relative_to(static_dir).as_posix(): path.read_bytes()
        for path in sorted(static_dir.rglob("*"))
        if path.is_file()
    }
