"""The taxonomy as pages show it: the navigation tree with counts, breadcrumbs, and the numbered
pages of a topic too large for one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import AssignedPaper, Site, Topic
from .urls import Urls


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


def walk(nodes: Sequence[TopicNode]) -> list[TopicNode]:
    """Every node, parents before their children."""
    out: list[TopicNode] = []
    for node in nodes:
        out.append(node)
        out.extend(walk(node.children))
    return out


def breadcrumbs(topic: Topic, by_id: dict[str, Topic]) -> list[Topic]:
    trail = []
    current: Topic | None = topic
    while current is not None:
        trail.append(current)
        current = by_id.get(current.parent) if current.parent else None
    return list(reversed(trail))


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
