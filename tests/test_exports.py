"""Exports a reader can take away: papers.csv, papers.bib, a JSON file per topic — and page weight."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from sitegen.models import AssignedPaper, Paper, SourceRef
from sitegen.site.bibtex import bibtex_entry, latex_escape
from sitegen.site.exports import PaperRecords, papers_csv
from sitegen.site.urls import Urls

from .sitecheck import html_files, page_assets, page_refs

PAGE_BUDGET = 100 * 1024


def assigned_paper(title: str, abstract: str) -> AssignedPaper:
    paper = Paper("a-paper", title, abstract, (SourceRef(Path("x.txt"), 1),))
    return AssignedPaper(paper, (), (), "method", "default")


def test_papers_csv_has_every_paper_of_papers_json(default_site: Path, papers: list[dict]) -> None:
    rows = list(csv.DictReader(io.StringIO((default_site / "papers.csv").read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == [p["id"] for p in papers]
    for row, paper in zip(rows, papers, strict=True):
        assert row["title"].lstrip("'") == paper["title"]
        assert row["topics"] == "; ".join(paper["topics"])
        assert row["date"] == (paper["date"] or "")
        assert row["off_topic"] == ("yes" if paper["off_topic"] else "no")


def test_csv_cells_cannot_run_as_spreadsheet_formulas() -> None:
    paper = assigned_paper(title='=HYPERLINK("http://evil","x")', abstract="@SUM(A1)")
    row = next(csv.DictReader(io.StringIO(papers_csv([paper], PaperRecords(Urls("/"))).decode("utf-8"))))
    assert row["title"] == '\'=HYPERLINK("http://evil","x")' and row["abstract"] == "'@SUM(A1)"


def test_a_json_file_per_topic_lists_its_papers(default_site: Path, papers: list[dict]) -> None:
    data = json.loads((default_site / "topics/peft/low-rank/papers.json").read_text(encoding="utf-8"))
    assert data["topic"]["id"] == "peft/low-rank" and data["topic"]["title"] == "Low-rank adaptation"
    expected = {p["id"] for p in papers if "peft/low-rank" in p["subtopics"]}
    assert {p["id"] for p in data["papers"]} == expected
    dates = [p["date"] for p in data["papers"] if p["date"]]
    assert dates == sorted(dates, reverse=True)
    page = (default_site / "topics/peft/low-rank/index.html").read_text(encoding="utf-8")
    assert 'href="/topics/peft/low-rank/papers.json"' in page


def test_every_page_links_the_survey_downloads(default_site: Path) -> None:
    for page in html_files(default_site):
        hrefs = {url for _, _, url in page_refs(page)}
        assert {"/papers.json", "/papers.csv", "/papers.bib"} <= hrefs, page


def test_bibtex_has_an_entry_per_published_paper_with_the_known_fields(
    default_site: Path, papers: list[dict]
) -> None:
    bib = (default_site / "papers.bib").read_text(encoding="utf-8")
    entries = re.findall(r"^@misc\{([^,]+),$", bib, flags=re.M)
    published = [p for p in papers if not p["off_topic"]]
    assert len(entries) == len(set(entries)) == len(published)
    assert all(braces_balance(entry) for entry in bib.split("\n@")), "an unescaped brace breaks BibTeX"
    dated = next(p for p in published if p["date"] and p["authors_count"])
    entry = bib[bib.index("@misc{" + dated["id"][:48].rstrip("-")) :].split("\n}\n")[0]
    assert f"year = {{{dated['date'][:4]}}}" in entry and f"{dated['authors_count']} authors" in entry
    undated = next(p for p in published if not p["date"])
    entry = bib[bib.index("@misc{" + undated["id"][:48].rstrip("-")) :].split("\n}\n")[0]
    assert "year =" not in entry and "author =" not in entry


def braces_balance(entry: str) -> bool:
    depth = 0
    for char in re.sub(r"\\[{}]", "", entry):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_bibtex_escapes_latex_so_a_title_cannot_break_a_bibliography() -> None:
    assert latex_escape("50% of {x} & $y_z# ^~\\") == r"50\% of \{x\} \& \$y\_z\# \^{}\~{}\textbackslash{}"
    paper = assigned_paper(title="Cut 90% of {LoRA} & more", abstract="a_b")
    entry = bibtex_entry(paper, Urls("https://example.org/survey/"))
    assert r"title = {{Cut 90\% of \{LoRA\} \& more}}" in entry
    assert "url = {https://example.org/survey/papers/" in entry and r"abstract = {a\_b}" in entry


def test_no_page_but_search_weighs_more_than_100_kb_with_its_css_and_js(default_site: Path) -> None:
    heavy = []
    for page in html_files(default_site):
        if page.parent.name == "search":
            continue
        total = sum(f.stat().st_size for f in (page, *page_assets(default_site, page)))
        if total > PAGE_BUDGET:
            heavy.append(f"{page.relative_to(default_site)}: {total / 1024:.0f} KB")
    assert heavy == []
