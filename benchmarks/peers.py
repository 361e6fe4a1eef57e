"""sitegen against Hugo followed by Pagefind, building the same pages, runs interleaved.

Usage: python benchmarks/peers.py [--project DIR] [--runs 5]
       python benchmarks/peers.py --papers 10000 [--runs 3]

The peer is what a survey editor could use instead: Debian's `hugo` rendering one page per paper
and per topic (and a home page) from Markdown, then Pagefind (the `pagefind[bin]` package sitegen
uses) indexing Hugo's output for search. Both get the same papers: sitegen builds the survey once,
and its papers.json becomes Hugo's content (title, date, topics, abstract).

Each run is cold for both: sitegen with no `.sitegen-cache/` and no previous output, Hugo into an
empty folder. The two take turns, so the machine's drift (±20 % here) hits both; the figure that
matters is the ratio of the medians. `--papers N` measures a synthetic survey of N papers
(benchmarks/synthetic.py) instead of the default one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import SITEGEN_BUILD, run
from pagefind_bin import get_executable

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
PAGEFIND = [str(get_executable()), "--site", "public", "--force-language", "en", "--quiet"]
HUGO = ["hugo", "--quiet", "--destination", "public"]

HUGO_CONFIG = """baseURL = "http://localhost/"
languageCode = "en"
title = "Survey"
disableKinds = ["RSS"]
[taxonomies]
topic = "topics"
"""
BASEOF = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav>{{ range .Site.Taxonomies.topics }}
<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav>
<main data-pagefind-body>{{ block "main" . }}{{ end }}</main></body></html>
"""
SINGLE = """{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ .Date.Format "2006-01-02" }}</p>
{{ .Content }}<ul>{{ range .Params.topics }}<li>{{ . }}</li>{{ end }}</ul>{{ end }}
"""
LIST = """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>{{ end }}
"""


def hugo_project(papers: list[dict[str, object]], target: Path) -> int:
    """A Hugo site with a page per paper and per topic; returns the number of papers written."""
    (target / "layouts" / "_default").mkdir(parents=True)
    (target / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = target / "layouts" / "_default"
    layouts.joinpath("baseof.html").write_text(BASEOF, encoding="utf-8")
    layouts.joinpath("single.html").write_text(SINGLE, encoding="utf-8")
    for name in ("list.html", "terms.html", "taxonomy.html"):
        layouts.joinpath(name).write_text(LIST, encoding="utf-8")
    content = target / "content" / "papers"
    content.mkdir(parents=True)
    for paper in papers:
        front = {"title": paper["title"], "topics": paper.get("topics") or []}
        if paper.get("date"):
            front["date"] = paper["date"]
        text = f"{json.dumps(front, ensure_ascii=False)}\n\n{paper['abstract']}\n"
        (content / f"{paper['id']}.md").write_text(text, encoding="utf-8")
    return len(papers)


def hugo_and_pagefind(project: Path) -> float:
    shutil.rmtree(project / "public", ignore_errors=True)
    hugo, _ = run(HUGO, project)
    pagefind, _ = run(PAGEFIND, project)
    return hugo + pagefind


def sitegen_cold(project: Path) -> float:
    for made in ("public", ".sitegen-cache"):
        shutil.rmtree(project / made, ignore_errors=True)
    seconds, _ = run(SITEGEN_BUILD, project)
    return seconds


def survey(scratch: Path, papers: int | None) -> Path:
    project = scratch / "survey"
    if papers:
        command = [sys.executable, str(HERE / "synthetic.py"), str(papers), str(project)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    else:
        project.mkdir()
        shutil.copy(ROOT / "site.yaml", project)
        for folder in ("content", "templates"):
            shutil.copytree(ROOT / folder, project / folder)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, help="a synthetic survey of this many papers")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        raise SystemExit("hugo is not installed: apt-get install hugo")
    scratch = Path(tempfile.mkdtemp(prefix=".sitegen-peers-", dir=ROOT.parent))
    try:
        project = survey(scratch, args.papers)
        sitegen_cold(project)
        published = json.loads((project / "public" / "papers.json").read_bytes())
        published = [p for p in published if not p.get("off_topic")]
        peer = scratch / "hugo"
        count = hugo_project(published, peer)
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(sitegen_cold(project))
            theirs.append(hugo_and_pagefind(peer))
        pages = sum(1 for _ in (peer / "public").rglob("*.html"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    mine, peer_median = statistics.median(ours), statistics.median(theirs)
    print(f"{count} papers, Hugo wrote {pages} pages; medians of {args.runs} cold builds, interleaved:")
    print(f"  sitegen build          {mine:6.2f} s  (min {min(ours):.2f}, max {max(ours):.2f})")
    print(f"  hugo, then pagefind    {peer_median:6.2f} s  (min {min(theirs):.2f}, max {max(theirs):.2f})")
    print(f"  ratio                  {mine / peer_median:6.2f} x")


if __name__ == "__main__":
    main()
