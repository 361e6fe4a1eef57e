"""Stage 6: render the `Site` into output files: into a `Staging` folder as each page is made
(a forked child renders and writes half the paper pages), or into a dict of path → bytes.

Jinja2 runs with autoescape on, so titles and abstracts from listings are always text, never
markup, and with StrictUndefined, so a template typo fails the build instead of printing nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import jinja2
from markupsafe import Markup

from .background import split_map
from .bibtex import bibtex_entry, bibtex_file
from .charts import YearCounts, topic_year_grid, year_bars, year_span
from .errors import SitegenError
from .exports import PaperRecords, atom_feed, dump_json, papers_csv, papers_json, sitemap_xml, topic_json
from .models import KINDS, AssignedPaper, Site, Topic
from .output import Staging
from .search import search_documents
from .urls import Urls, output_file, version_of


@dataclass(frozen=True)
class TopicNode:
    """A topic with what its page and the navigation need: paper count and child nodes."""

    topic: Topic
    count: int
    children: tuple[TopicNode, ...]


def topic_tree(site: Site) -> list[TopicNode]:
    def node(topic: Topic) -> TopicNode:
        return TopicNode(topic, len(site.in_topic(topic.id)), tuple(node(c) for c in topic.children))

    return [node(t) for t in site.taxonomy.topics]


def make_environment(templates_dir: Path, urls: Urls, compiled_dir: Path | None = None) -> jinja2.Environment:
    """The templates' environment; with `compiled_dir`, compiled templates are kept there for the
    next build (Jinja2 recompiles a template whose source or Jinja2 version changed)."""
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(compiled_dir),
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
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}" if d else "date unknown"
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only project only costs compiling the templates again
    return jinja2.FileSystemBytecodeCache(str(folder))


class Renderer:
    """Renders each page type into `out` (or `files` without one); refuses to write a path twice."""

    def __init__(
        self,
        site: Site,
        templates_dir: Path,
        urls: Urls,
        config_context: dict[str, Any],
        compiled_dir: Path | None = None,
        out: Staging | None = None,
    ) -> None:
        self.site = site
        self.out = out
        self.paths: set[str] = set()
        self.urls = urls
        self.env = make_environment(templates_dir, urls, compiled_dir)
        self.files: dict[str, bytes] = {}
        self.links: list[str] = []
        self.by_id = by_id = site.taxonomy.by_id()
        self.common: dict[str, Any] = {
            "site": site,
            "config": config_context,
            "tree": topic_tree(site),
        }
        self.env.globals["topic_titles"] = {tid: t.title for tid, t in by_id.items()}
        self.branch_ids = {t.id: frozenset(b.id for b in t.branch()) for t in by_id.values()}
        self.branch_links = {tid: {urls.topic(i) for i in ids} for tid, ids in self.branch_ids.items()}
        self.macro_cache: dict[tuple[Any, ...], Markup] = {}
        self.records = PaperRecords(urls)  # for the data files
        self.search_version = ""  # `version_of` search-docs.json, which decides the Lunr index too
        self.topic_links = {urls.topic(tid) for tid in by_id}
        self.nav_cache: dict[tuple[str | None, frozenset[str]], Markup] = {}
        self.env.globals["topic_nav"] = self.topic_nav
        self.env.globals["nav_node_once"] = self.nav_node_once
        self.env.globals["paper_item_once"] = self.paper_item_once

    def topic_nav(self, current: str, current_topics: set[str]) -> Markup:
        """The navigation's topic tree, marked for this page (the `nav_tree` macro of _macros.html),
        rendered once per marking: pages whose papers share topics share one navigation."""
        marking = frozenset(current_topics)
        key = (current if current in self.topic_links else None, marking)
        if key not in self.nav_cache:
            macro = self.env.get_template("_macros.html").module.nav_tree  # type: ignore[attr-defined]
            self.nav_cache[key] = Markup(macro(self.common["tree"], current, marking))
        return self.nav_cache[key]

    def nav_node_once(self, node: TopicNode, current: str, current_topics: frozenset[str]) -> Markup:
        """One topic's branch of the navigation (`nav_node`), rendered once per distinct marking
        of that branch — a few per topic — instead of once per page (thousands)."""
        tid = node.topic.id
        marking = (
            current if current in self.branch_links[tid] else None,
            current_topics & self.branch_ids[tid],
        )
        return self._macro_once("nav_node", (tid, *marking), node, current, current_topics)

    def paper_item_once(self, item: AssignedPaper, topic_id: str | None = None) -> Markup:
        """A paper's entry in a list: the `paper_item` macro of _macros.html, rendered once per
        paper and listing topic, though a paper is listed on many pages (topics, related)."""
        return self._macro_once("paper_item", (item.slug, topic_id), item, topic_id)

    def _macro_once(self, name: str, key: tuple[Any, ...], *args: Any) -> Markup:
        """A macro of _macros.html called once per `key`: what it renders may depend only on
        `key` (drawn from its arguments) and the environment's globals."""
        if (name, *key) not in self.macro_cache:
            macro = getattr(self.env.get_template("_macros.html").module, name)
            self.macro_cache[(name, *key)] = Markup(macro(*args))
        return self.macro_cache[(name, *key)]

    def add(self, path: str, data: bytes | None) -> None:
        """Write a file; None: a forked child wrote it already (see `paper_file`)."""
        if path in self.paths:
            raise SitegenError.at(
                None, None, f"two outputs want the same file '{path}'", "rename one of the pages or topics"
            )
        self.paths.add(path)
        if self.out is None:
            self.files[path] = data or b""
        elif data is None:
            self.out.wrote([path])
        else:
            self.out.write(path, data)

    def page(self, template: str, link: str, in_sitemap: bool = True, **context: Any) -> None:
        self.add_page(link, self.render(template, link, **context), in_sitemap)

    def add_page(self, link: str, html: bytes | None, in_sitemap: bool = True) -> None:
        self.add(output_file(link, self.urls.base_path), html)
        if in_sitemap:
            self.links.append(link)

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

    def paper_page(self, paper: AssignedPaper) -> tuple[str, bytes]:
        site, by_id = self.site, self.by_id
        newer, older = site.neighbours(paper)
        first = paper.first_topic_id
        link = self.urls.paper(paper.slug)
        html = self.render(
            "paper.html",
            link,
            paper=paper,
            breadcrumbs=_breadcrumbs(by_id[first], by_id) if first else [],
            newer=newer,
            older=older,
            related=site.related_to(paper),
            bibtex=bibtex_entry(paper, self.urls),
            current_topics={a.topic_id for a in (*paper.topics, *paper.subtopics)},
        )
        return link, html

    def paper_file(self, paper: AssignedPaper) -> tuple[str, bytes | None]:
        """`paper_page`, written at once when there is a folder to write into: then a forked
        child writes its half of the pages itself instead of sending them back."""
        link, html = self.paper_page(paper)
        if self.out is None:
            return link, html
        self.out.write(output_file(link, self.urls.base_path), html)
        return link, None


def render_site(
    site: Site,
    templates_dir: Path,
    urls: Urls,
    config_context: dict[str, Any],
    compiled_dir: Path | None = None,
    out: Staging | None = None,
) -> dict[str, bytes]:
    """Every output file of the site but search-index.json (the pipeline makes it apart: it may
    come from the cache), written into `out`; without one, returned as path → bytes."""
    r = Renderer(site, templates_dir, urls, config_context, compiled_dir, out)

    def home_topics_and_data() -> None:
        """What this process renders while a child starts on the paper pages."""
        _add_home_and_topics(r, site, urls, config_context)
        _add_data_files(r, site, urls, config_context)

    # One page per paper: most of the site, shared with a second process.
    for link, html in split_map(r.paper_file, site.published, first=home_topics_and_data):
        r.add_page(link, html)
    for page in site.pages:
        r.page("page.html", urls.page(page.slug), page=page)
    r.page("unsorted.html", urls.unsorted(), papers=site.unsorted)
    search_years = sorted({p.paper.date.year for p in site.published if p.paper.date}, reverse=True)
    kinds = [k for k in KINDS if any(p.kind == k for p in site.published)]
    r.page(
        "search.html",
        urls.search(),
        search_years=search_years,
        search_kinds=kinds,
        search_version=r.search_version,
    )
    r.page("404.html", urls.path("404.html"), in_sitemap=False)
    r.add("sitemap.xml", sitemap_xml(r.links, urls))
    r.add(".nojekyll", b"")
    return r.files


@dataclass(frozen=True)
class TopicPager:
    """One page of a topic too large for one: its papers and the links to the others."""

    papers: Sequence[AssignedPaper]
    order: str  # "date" (newest first) or "upvotes" (most first)
    number: int  # from 1
    first: int  # the position of its first paper in the whole list, from 1
    pages: tuple[str, ...]  # the link of each page in this order
    orders: dict[str, str]  # order → the link of its first page

    @property
    def previous(self) -> str | None:
        return self.pages[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.pages[self.number] if self.number < len(self.pages) else None


def topic_pages(
    topic_id: str, papers: Sequence[AssignedPaper], size: int, urls: Urls
) -> list[tuple[str, TopicPager | None]]:
    """(link, pager) for each page of a topic: one page while its papers fit (`size` 0: always),
    else numbered pages, newest first and — so that sorting spans the whole topic, not one page —
    again most upvoted first (the order the topic page's sort control offers on one page)."""
    if size == 0 or len(papers) <= size:
        return [(urls.topic(topic_id), None)]
    ordered = {"date": list(papers), "upvotes": sorted(papers, key=_upvotes_first)}
    orders = {order: urls.topic_page(topic_id, order, 1) for order in ordered}
    out: list[tuple[str, TopicPager | None]] = []
    for order, listed in ordered.items():
        count = -(-len(listed) // size)
        links = tuple(urls.topic_page(topic_id, order, n) for n in range(1, count + 1))
        for n in range(1, count + 1):
            chunk = listed[(n - 1) * size : n * size]
            out.append((links[n - 1], TopicPager(chunk, order, n, (n - 1) * size + 1, links, orders)))
    return out


def _upvotes_first(paper: AssignedPaper) -> int:
    # Stable sort: equal upvotes keep the newest-first order; no count goes last, as on one page.
    upvotes = paper.paper.upvotes
    return -(upvotes if upvotes is not None else -1)


def _add_home_and_topics(r: Renderer, site: Site, urls: Urls, config: dict[str, Any]) -> None:
    latest = sorted(site.published, key=_latest_key)[: config["latest_count"]]
    rows = [YearCounts.of(t.title, site.in_topic(t.id)) for t in site.taxonomy.topics]
    chart_years = year_span([YearCounts.of("all", site.published)])
    grid = topic_year_grid(rows, "chart-topics", "Papers per year in each topic")
    r.page("home.html", urls.home(), latest=latest, chart=grid)
    for node in _walk(r.common["tree"]):
        papers = site.in_topic(node.topic.id)
        counts = YearCounts.of(node.topic.title, papers)
        for link, pager in topic_pages(node.topic.id, papers, config["topic_page_size"], urls):
            r.page(
                "topic.html",
                link,
                node=node,
                papers=pager.papers if pager else papers,
                total=len(papers),
                pager=pager,
                breadcrumbs=_breadcrumbs(node.topic, r.by_id),
                description_html=site.topic_html[node.topic.id],
                chart=year_bars(counts, chart_years, "chart-years", f"Papers per year in {node.topic.title}"),
                undated=counts.undated,
                data_file=urls.path(_topic_json_file(node.topic.id)),
                current_topics={node.topic.id},
            )
        r.add(_topic_json_file(node.topic.id), topic_json(node.topic, papers, r.records))


def _add_data_files(r: Renderer, site: Site, urls: Urls, config: dict[str, Any]) -> None:
    """The survey's data for readers and tools (the sitemap comes last: it lists every page)."""
    papers = site.published
    if config["search_engine"] == "lunr":
        # The index's refs are positions in this list: their links share one version, so a
        # browser never pairs a cached index with newer records (or the other way round).
        docs = dump_json(search_documents(papers, urls.paper))
        r.add("search-docs.json", docs)
        r.search_version = version_of(docs)
    r.add("papers.json", papers_json(site.papers, r.records))
    r.add("papers.csv", papers_csv(site.papers, r.records))
    r.add("papers.bib", bibtex_file(papers, urls))
    r.add("feed.xml", atom_feed(papers, urls, site.title, site.description, config["author"]))


def _topic_json_file(topic_id: str) -> str:
    return f"topics/{topic_id}/papers.json"


def _latest_key(paper: AssignedPaper) -> tuple[int, str]:
    date = paper.paper.date
    return (-date.toordinal() if date else 1, paper.slug)


def _walk(nodes: list[TopicNode] | tuple[TopicNode, ...]) -> list[TopicNode]:
    out: list[TopicNode] = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.children))
    return out


def _breadcrumbs(topic: Topic, by_id: dict[str, Topic]) -> list[Topic]:
    trail = []
    current: Topic | None = topic
    while current is not None:
        trail.append(current)
        current = by_id.get(current.parent) if current.parent else None
    return list(reversed(trail))


def copy_static(static_dir: Path) -> dict[str, bytes]:
    """The theme's static files (CSS, JS, vendored lunr.js) under `assets/`."""
    if not static_dir.is_dir():
        return {}
    return {
        "assets/" + path.relative_to(static_dir).as_posix(): path.read_bytes()
        for path in sorted(static_dir.rglob("*"))
        if path.is_file()
    }
