"""Parser: every layout of the Hugging Face listings, exact counts and field values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sitegen.ingest.listings import parse_listing

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "content" / "sources"
P = Path("listing.txt")


def parse(text: str, captured: dt.date | None = None):
    return parse_listing(text, P, captured)


BLANK_SEPARATED = """\
new

Get trending papers in your email inbox!

Subscribe

byAK and the research community

Mar 11

First Paper: A Title

First abstract, long enough to be an abstract of a paper about things.

Second Paper

Second abstract.
"""

RUN_TOGETHER = """\
Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribeGlued Title: Reversing Objectives
Abstract of the glued paper.
Next Title
Next abstract.
"""

WITH_METADATA = """\
new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Dec 8

Old Paper With Year

Abstract one.

  • 11 authors
·
May 24, 2021

Recent Paper Without Year

Abstract two.

  • 7 authors
·
Sep 28 5

Organisation Paper

Abstract three.

UCAS ucas
·
Sep 26 2

No Metadata Paper

Abstract four.

Last Paper

Abstract five.

  • 1 author
·
Feb 6, 2024 4
"""


def test_blank_separated_layout_reads_titles_and_abstracts() -> None:
    listing = parse(BLANK_SEPARATED)
    assert [p.title for p in listing.papers] == ["First Paper: A Title", "Second Paper"]
    assert listing.papers[1].abstract == "Second abstract."
    assert listing.papers[0].source.line == 11
    assert listing.problems == ()


def test_page_chrome_is_never_a_paper() -> None:
    titles = [p.title for p in parse(BLANK_SEPARATED).papers + parse(WITH_METADATA).papers]
    for chrome in ("new", "Subscribe", "Daily Papers", "byAK and the research community", "Mar 11", "Dec 8"):
        assert chrome not in titles
    assert not any(t.startswith("Get trending") for t in titles)


def test_run_together_layout_unglues_subscribe() -> None:
    listing = parse(RUN_TOGETHER)
    assert [p.title for p in listing.papers] == ["Glued Title: Reversing Objectives", "Next Title"]
    assert listing.papers[0].abstract == "Abstract of the glued paper."
    assert listing.papers[0].source.line == 3
    assert listing.problems == ()


def test_metadata_blocks_give_authors_organisation_date_and_upvotes() -> None:
    listing = parse(WITH_METADATA)
    by_title = {p.title: p for p in listing.papers}
    assert len(listing.papers) == 5
    old = by_title["Old Paper With Year"]
    assert (old.authors_count, old.date, old.upvotes, old.organization) == (
        11,
        dt.date(2021, 5, 24),
        None,
        None,
    )
    recent = by_title["Recent Paper Without Year"]
    # The latest explicit year is 2024, so the listing was captured in 2025.
    assert (recent.authors_count, recent.date, recent.upvotes) == (7, dt.date(2025, 9, 28), 5)
    org = by_title["Organisation Paper"]
    assert (org.organization, org.authors_count, org.date, org.upvotes) == (
        "UCAS",
        None,
        dt.date(2025, 9, 26),
        2,
    )
    bare = by_title["No Metadata Paper"]
    assert (bare.authors_count, bare.date, bare.upvotes, bare.abstract) == (
        None,
        None,
        None,
        "Abstract four.",
    )
    last = by_title["Last Paper"]
    assert (last.authors_count, last.date, last.upvotes) == (1, dt.date(2024, 2, 6), 4)
    assert listing.captured == dt.date(2025, 12, 8)
    assert listing.problems == ()


def test_capture_date_from_site_yaml_wins_over_inference() -> None:
    listing = parse(WITH_METADATA, captured=dt.date(2026, 12, 8))
    by_title = {p.title: p for p in listing.papers}
    assert by_title["Recent Paper Without Year"].date == dt.date(2026, 9, 28)
    assert by_title["Old Paper With Year"].date == dt.date(2021, 5, 24)


def test_yearless_date_after_capture_day_belongs_to_the_previous_year() -> None:
    text = "Mar 11\n\nA Paper\n\nAn abstract.\n\n  • 2 authors\n·\nDec 20\n"
    listing = parse(text, captured=dt.date(2025, 3, 11))
    assert listing.papers[0].date == dt.date(2024, 12, 20)


def test_unknown_capture_year_is_a_warning_with_file_and_line() -> None:
    text = "A Paper\n\nAn abstract.\n\n  • 2 authors\n·\nSep 28\n"
    listing = parse(text)
    assert listing.papers[0].date is None
    assert [str(p) for p in listing.problems] == [
        "listing.txt:7: 1 date without a year, and the year of capture is unknown — "
        "add to site.yaml: listings: {listing.txt: {captured: YYYY-MM-DD}}"
    ]


def test_latex_in_titles_becomes_readable_and_dollar_amounts_stay() -> None:
    text = (
        "Verbosity $\\neq$ Veracity\n\nAbstract.\n\n"
        "Train It with $100K Budget\n\nAbstract.\n\n"
        "Odd $\\frob$ Title\n\nA."
    )
    titles = [p.title for p in parse(text).papers]
    assert titles == ["Verbosity ≠ Veracity", "Train It with $100K Budget", "Odd $\\frob$ Title"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("  • 3 authors\nA Paper\n\nAbstract.", 1, "author count before any paper"),
        ("·\nA Paper\n\nAbstract.", 1, "metadata separator '·' before any paper"),
        (
            "A Paper\n\nAbstract.\n\n  • 2 authors\n·\nMay 2, 2023\n\n" + "x" * 400,
            9,
            "a 400-character paragraph where a title was expected",
        ),
        ("A Paper\n\n  • 3 authors\n·\nMay 2, 2023", 1, "paper 'A Paper' has no abstract"),
    ],
)
def test_lines_that_fit_nowhere_are_warnings_naming_file_and_line(text: str, line: int, message: str) -> None:
    problems = parse(text).problems
    assert problems, "expected a warning"
    assert problems[0].path == P
    assert problems[0].line == line
    assert problems[0].message.startswith(message)


def test_further_abstract_paragraphs_join_the_abstract() -> None:
    text = "A Paper\n\n" + "a " * 200 + "\n\n" + "b " * 200 + "\n\nNext\n\nAbstract."
    listing = parse(text)
    assert [p.title for p in listing.papers] == ["A Paper", "Next"]
    assert listing.papers[0].abstract.endswith("b")


SEED_COUNTS = {
    "000_7ef26a58f55d0a67.txt": 88,
    "001_97cca7786c7f0218.txt": 216,
    "002_b4651064ba318b59.txt": 78,
    "003_1fadef33f80d3da9.txt": 51,
    "004_b176b56927f0392f.txt": 41,
}


@pytest.mark.parametrize(("name", "count"), sorted(SEED_COUNTS.items()))
def test_every_entry_of_each_seed_listing_is_found_without_warnings(name: str, count: int) -> None:
    path = SOURCES / name
    listing = parse_listing(path.read_text(encoding="utf-8"), path)
    assert len(listing.papers) == count
    assert listing.problems == ()
    assert all(p.title and p.abstract for p in listing.papers)


def test_seed_metadata_values() -> None:
    path = SOURCES / "003_1fadef33f80d3da9.txt"
    papers = {p.title: p for p in parse_listing(path.read_text(encoding="utf-8"), path).papers}
    ranking = papers["Pre-trained Language Model based Ranking in Baidu Search"]
    assert (ranking.authors_count, ranking.date, ranking.upvotes) == (11, dt.date(2021, 5, 24), None)
    editing = papers["Fine-tuning Done Right in Model Editing"]
    assert (editing.organization, editing.date, editing.upvotes) == ("UCAS", dt.date(2025, 9, 26), 2)
    assert (
        papers["Weak-to-Strong Generalization: Eliciting Strong Capabilities With Weak Supervision"].upvotes
        == 1
    )
