"""Editors' overrides: pin, add and remove topics, kind, off-topic, metadata, links, notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sitegen.config import load_config
from sitegen.errors import SitegenError
from sitegen.pipeline import BuildReport, build, load_site


def site_with(make_project, overrides: str):
    project = make_project({"content/overrides.yaml": overrides})
    return project, load_site(load_config(project / "site.yaml"), BuildReport())


def by_slug(site):
    return {p.slug: p for p in site.papers}


def test_pin_add_remove_topics_and_set_kind(make_project) -> None:
    _, site = site_with(
        make_project,
        """\
        papers:
          - paper: lora-tricks-for-everyone
            topics: [alignment, peft]
            kind: survey
          - paper: DPO Without Tears
            add_topics: [peft]
            remove_topics: [alignment]
        """,
    )
    papers = by_slug(site)
    lora = papers["lora-tricks-for-everyone"]
    assert lora.topic_ids == ["alignment", "peft"]
    assert lora.kind == "survey" and lora.kind_reason == "set by the editors"
    assert lora.topics[0].reason == "set by the editors" and lora.decided_at == "overrides.yaml:2"
    assert lora.topics[1].reason.startswith("“LoRA” in title")  # the rules' reason is kept
    dpo = papers["dpo-without-tears"]
    assert dpo.topic_ids == ["peft"]
    assert dpo.automatic == ("alignment",)


def test_off_topic_papers_leave_the_site_but_stay_in_papers_json(make_project, tmp_path: Path) -> None:
    project, site = site_with(make_project, "papers:\n  - paper: dpo-without-tears\n    off_topic: true\n")
    assert [p.slug for p in site.off_topic] == ["dpo-without-tears"]
    assert site.unsorted == ()
    out = tmp_path / "out"
    build(load_config(project / "site.yaml").with_overrides(output_dir=out))
    records = {p["id"]: p for p in json.loads((out / "papers.json").read_text())}
    assert records["dpo-without-tears"] == {
        **records["dpo-without-tears"],
        "topics": [],
        "off_topic": True,
        "url": None,
    }
    assert not (out / "papers" / "dpo-without-tears").exists()
    assert "dpo-without-tears" not in (out / "search-docs.json").read_text()
    assert "DPO Without Tears" not in (out / "index.html").read_text()


def test_metadata_corrections_links_and_a_safe_note(make_project, tmp_path: Path) -> None:
    project, site = site_with(
        make_project,
        """\
        papers:
          - paper: lora-tricks-for-everyone
            date: 2024-03-05
            authors_count: 3
            organization: Example Lab
            links:
              arxiv: https://arxiv.org/abs/2106.09685
              code: https://github.com/example/lora
            note: |
              A **classic**. <script>alert(1)</script> [bad](javascript:alert(2))
        """,
    )
    lora = by_slug(site)["lora-tricks-for-everyone"]
    assert (str(lora.paper.date), lora.paper.authors_count, lora.paper.organization) == (
        "2024-03-05",
        3,
        "Example Lab",
    )
    out = tmp_path / "out"
    build(load_config(project / "site.yaml").with_overrides(output_dir=out))
    page = (out / "papers" / "lora-tricks-for-everyone" / "index.html").read_text()
    assert '<a href="https://github.com/example/lora" rel="noopener">code</a>' in page
    assert "<strong>classic</strong>" in page
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            "papers:\n  - paper: no-such-paper\n    kind: survey\n",
            "overrides.yaml:2: paper 'no-such-paper' names no paper — "
            "use a paper's slug (from its URL) or its exact title",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyon\n",
            "overrides.yaml:2: paper 'lora-tricks-for-everyon' names no paper — "
            "did you mean 'lora-tricks-for-everyone'?",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    topics: [lora]\n",
            "overrides.yaml:3: unknown topic 'lora' in 'topics' — valid topic ids: alignment, peft",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    kind: tutorial\n",
            "overrides.yaml:3: unknown kind 'tutorial' — "
            "use one of: method, benchmark, survey, analysis, toolkit",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    topic: [peft]\n",
            "overrides.yaml:3: unknown key 'topic' in an override — did you mean 'topics'?",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    links: {code: 'javascript:alert(1)'}\n",
            "overrides.yaml:3: link 'code' must be an http(s) URL — e.g. https://arxiv.org/abs/2106.09685",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n  - paper: LoRA Tricks for Everyone\n",
            "overrides.yaml:3: paper 'lora-tricks-for-everyone' is overridden twice (first at line 2) — "
            "merge the two entries",
        ),
    ],
)
def test_override_mistakes_are_errors_with_file_and_line(make_project, overrides: str, message: str) -> None:
    with pytest.raises(SitegenError) as info:
        site_with(make_project, overrides)
    assert [str(p).split("/content/")[-1] for p in info.value.problems] == [message]


def test_unknown_example_of_a_topic_is_an_error(make_project) -> None:
    taxonomy = """\
        topics:
          - id: peft
            title: PEFT
            examples: [lora-trick]
            rules:
              - phrases: [lora]
        """
    project = make_project({"content/taxonomy.yaml": taxonomy})
    with pytest.raises(SitegenError) as info:
        load_site(load_config(project / "site.yaml"), BuildReport())
    assert str(info.value).endswith(
        "taxonomy.yaml:4: example of topic 'peft' 'lora-trick' names no paper — "
        "did you mean 'lora-tricks-for-everyone'?"
    )


DECISIONS = """\
# the editors' placements
papers:
  - paper: lora-tricks-for-everyone
    topics: [alignment]
    kind: analysis
  - paper: dpo-without-tears
    off_topic: true
"""


def test_decisions_place_papers_as_reviewed_and_overrides_still_apply(make_project) -> None:
    project = make_project(
        {
            "content/decisions.yaml": DECISIONS,
            "content/overrides.yaml": "papers:\n  - paper: lora-tricks-for-everyone\n    note: Read *twice*.",
        }
    )
    report = build(load_config(project / "site.yaml"))
    papers = {p["id"]: p for p in json.loads((project / "public" / "papers.json").read_text())}
    lora, dpo = papers["lora-tricks-for-everyone"], papers["dpo-without-tears"]
    assert lora["topics"] == ["alignment"] and lora["kind"] == "analysis" and lora["reviewed"] is True
    assert dpo["off_topic"] is True and dpo["topics"] == [] and dpo["reviewed"] is True
    assert report.counts["off-topic"] == 1
    page = (project / "public" / "papers" / "lora-tricks-for-everyone" / "index.html").read_text()
    assert "Placed by the survey's editors." in page and "Read <em>twice</em>." in page
    assert "because set by the editors<" in page and "decisions.yaml" not in page


def test_a_paper_no_editor_placed_says_so(make_project) -> None:
    project = make_project()
    build(load_config(project / "site.yaml"))
    page = (project / "public" / "papers" / "lora-tricks-for-everyone" / "index.html").read_text()
    assert "Placed automatically by the survey's rules; not yet reviewed by its editors." in page
    assert all(p["reviewed"] is False for p in json.loads((project / "public" / "papers.json").read_text()))


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    kind: survey\n",
            "decisions.yaml:2: the decision on 'lora-tricks-for-everyone' gives no topics — "
            "add topics: [...] or off_topic: true",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    topics: [peft]\n    note: hi\n",
            "decisions.yaml:4: unknown key 'note' in a decision",
        ),
        (
            "papers:\n  - paper: lora-tricks-for-everyone\n    topics: [peft]\n"
            "  - paper: LoRA Tricks for Everyone\n    topics: [alignment]\n",
            "decisions.yaml:4: paper 'lora-tricks-for-everyone' is decided twice (first at line 2)",
        ),
    ],
    ids=["no topics", "an override's key", "twice"],
)
def test_a_decision_that_places_nothing_or_says_too_much_is_an_error(
    make_project, decisions, message
) -> None:
    project = make_project({"content/decisions.yaml": decisions})
    with pytest.raises(SitegenError) as error:
        load_site(load_config(project / "site.yaml"), BuildReport())
    assert message in str(error.value)
