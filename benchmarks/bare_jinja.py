"""The floor a Python site generator can reach: the same pages through bare Jinja2, nothing else.

Usage: python benchmarks/bare_jinja.py SITE_DIR OUT_DIR

Reads the papers (title, abstract, topics) from a site sitegen built (SITE_DIR/papers.json) and
writes one page per published paper plus one page per topic listing its papers, with two small
templates and no parsing, assignment, search index, navigation or feeds. `benchmarks/scale.py`
runs it as a whole process, like `sitegen build`, to report sitegen's time as a multiple of it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jinja2

PAPER = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ p.title }}</title></head>
<body><h1>{{ p.title }}</h1><p>{{ p.date or "date unknown" }} · {{ p.kind }}</p><p>{{ p.abstract }}</p>
<ul>{% for t in p.topics %}<li><a href="/topics/{{ t }}/">{{ t }}</a></li>{% endfor %}</ul></body></html>"""
TOPIC = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ topic }}</title></head>
<body><h1>{{ topic }}</h1><ol>{% for p in papers %}<li><a href="/papers/{{ p.id }}/">{{ p.title }}</a>
{{ p.date or "" }}</li>{% endfor %}</ol></body></html>"""


def write(out: Path, relative: str, html: str) -> None:
    target = out / relative
    os.makedirs(target.parent, exist_ok=True)
    target.write_text(html, encoding="utf-8")


def main() -> None:
    site, out = Path(sys.argv[1]), Path(sys.argv[2])
    papers = [p for p in json.loads((site / "papers.json").read_text(encoding="utf-8")) if not p["off_topic"]]
    env = jinja2.Environment(autoescape=True)
    paper_page, topic_page = env.from_string(PAPER), env.from_string(TOPIC)
    by_topic: dict[str, list[dict]] = {}
    for p in papers:
        write(out, f"papers/{p['id']}/index.html", paper_page.render(p=p))
        for topic in p["topics"] + p["subtopics"]:
            by_topic.setdefault(topic, []).append(p)
    for topic, members in by_topic.items():
        write(out, f"topics/{topic}/index.html", topic_page.render(topic=topic, papers=members))


if __name__ == "__main__":
    main()
