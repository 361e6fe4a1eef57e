"""Machine-readable outputs: papers.json and papers.csv (every paper, sorted or not), a JSON file per
topic, sitemap.xml and an Atom feed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any

from ..models import AssignedPaper, Topic, newest_first
from .urls import Urls

FEED_ENTRIES = 50
ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def paper_record(p: AssignedPaper, urls: Urls) -> dict[str, Any]:
    """One paper as the exports show it. Off-topic papers have no page, so their `url` is null."""
    return {
        "id": p.slug,
        "title": p.paper.title,
        "abstract": p.paper.abstract,
        "topics": p.topic_ids,
        "subtopics": [a.topic_id for a in p.subtopics],
        "kind": p.kind,
        "date": p.paper.date.isoformat() if p.paper.date else None,
        "authors_count": p.paper.authors_count,
        "upvotes": p.paper.upvotes,
        "organization": p.paper.organization,
        "url": None if p.off_topic else urls.absolute(urls.paper(p.slug)),
        "off_topic": p.off_topic,
        "reviewed": p.reviewed,
        "links": dict(p.links),
    }


class PaperRecords:
    """Each paper's record, made and encoded once: papers.json, papers.csv and the topics' JSON
    files all list the same records (a survey of 10,000 papers lists 25,000 in its topics)."""

    def __init__(self, urls: Urls) -> None:
        self.urls = urls
        self._records: dict[str, dict[str, Any]] = {}
        self._encoded: dict[str, bytes] = {}

    def record(self, p: AssignedPaper) -> dict[str, Any]:
        if p.slug not in self._records:
            self._records[p.slug] = paper_record(p, self.urls)
        return self._records[p.slug]

    def json_list(self, papers: Iterable[AssignedPaper]) -> bytes:
        """`dump_json` of the papers' records, joined from each record's own encoding."""
        encoded = self._encoded
        for p in papers:
            if p.slug not in encoded:
                encoded[p.slug] = dump_json(self.record(p))
        return b"[" + b",".join(encoded[p.slug] for p in papers) + b"]"


def papers_json(papers: Sequence[AssignedPaper], records: PaperRecords) -> bytes:
    """Every paper — unsorted and off-topic ones with `topics: []` — topics best first."""
    return records.json_list(sorted(papers, key=lambda p: p.slug))


def topic_json(topic: Topic, papers: Sequence[AssignedPaper], records: PaperRecords) -> bytes:
    """One topic's papers, newest first, with the topic they belong to."""
    about = {"id": topic.id, "title": topic.title, "description": topic.description}
    about["url"] = records.urls.absolute(records.urls.topic(topic.id))
    # dump_json({"topic": about, "papers": [...]}): keys sorted, "papers" first.
    return b'{"papers":' + records.json_list(papers) + b',"topic":' + dump_json(about) + b"}"


CSV_COLUMNS = (
    "id", "title", "topics", "subtopics", "kind", "date", "authors_count", "upvotes",
    "organization", "url", "off_topic", "abstract",
)  # fmt: skip


def papers_csv(papers: Sequence[AssignedPaper], records: PaperRecords) -> bytes:
    """papers.json as a spreadsheet: lists joined with "; ", one row per paper.

    A cell starting with =, +, -, @ or a tab would run as a formula in Excel or LibreOffice;
    such cells get a leading apostrophe, the usual guard against CSV injection."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in sorted(papers, key=lambda p: p.slug):
        record = dict(records.record(p))
        record["topics"] = "; ".join(record["topics"])
        record["subtopics"] = "; ".join(record["subtopics"])
        record["off_topic"] = "yes" if p.off_topic else "no"
        writer.writerow([_csv_cell(record[column]) for column in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def dump_json(data: Any) -> bytes:
    """Deterministic JSON: sorted keys and no spaces, so two builds are byte-identical."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sitemap_xml(links: Sequence[str], urls: Urls) -> bytes:
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for link in sorted(set(links)):
        ET.SubElement(
            ET.SubElement(root, f"{{{SITEMAP_NS}}}url"), f"{{{SITEMAP_NS}}}loc"
        ).text = urls.absolute(link)
    return _xml_bytes(root)


def atom_feed(
    papers: Sequence[AssignedPaper], urls: Urls, title: str, description: str, author: str
) -> bytes:
    """The newest dated papers, so a reader's feed shows what was added to the survey."""
    dated = [p for p in sorted(papers, key=newest_first) if p.paper.date][:FEED_ENTRIES]
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "title", title)
    if description:
        sub(feed, "subtitle", description)
    home = urls.absolute(urls.home())
    sub(feed, "id", home)
    sub(feed, "link", href=home)
    sub(feed, "link", rel="self", href=urls.absolute(urls.path("feed.xml")))
    sub(feed, "updated", _timestamp(dated[0].paper.date if dated else None))
    sub(sub(feed, "author"), "name", author or title)
    for paper in dated:
        entry = sub(feed, "entry")
        link = urls.absolute(urls.paper(paper.slug))
        sub(entry, "title", paper.paper.title)
        sub(entry, "id", link)
        sub(entry, "link", href=link)
        sub(entry, "updated", _timestamp(paper.paper.date))
        sub(entry, "summary", paper.paper.abstract)
        for topic in paper.topic_ids:
            sub(entry, "category", term=topic)
    return _xml_bytes(feed)


def _timestamp(date: dt.date | None) -> str:
    return f"{(date or dt.date(1970, 1, 1)).isoformat()}T00:00:00Z"


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
