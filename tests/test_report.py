"""Editor tools: check findings, explain, the drift report, "possibly related" papers."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sitegen.cli import main
from sitegen.config import load_config
from sitegen.editor.report import check_site, drift_report, explain, find_papers
from sitegen.errors import counted
from sitegen.pipeline import BuildReport, load_site
from sitegen.publish import published_topics

LISTING = """\
LoRA Tricks for Everyone

We study low-rank adapters. LoRA is great and LoRA is cheap.

DPO Without Tears

Direct preference optimization (DPO) aligns models with preference data.

A Gentle Study

One adapter, then another adapter, measured carefully.
"""


def load(project: Path):
    return load_site(load_config(project / "site.yaml"), BuildReport())


def test_check_reports_weak_assignments_and_override_conflicts(make_project) -> None:
    overrides = """\
        papers:
          - paper: lora-tricks-for-everyone
            topics: [alignment]
          - paper: dpo-without-tears
            remove_topics: [peft]
            add_topics: [alignment]
        """
    project = make_project({"content/sources/listing.txt": LISTING, "content/overrides.yaml": overrides})
    findings = check_site(load(project))
    assert findings.weak == [
        "a-gentle-study: peft scores 4.5 (threshold 4) because “adapter” in abstract ×2 (+4.5)"
    ]
    assert findings.conflicts == [
        "overrides.yaml:2: lora-tricks-for-everyone: pinned to ['alignment'] but the rules choose ['peft']",
        "overrides.yaml:4: dpo-without-tears: removes 'peft', which the rules no longer assign",
        "overrides.yaml:4: dpo-without-tears: adds 'alignment', which the rules already assign",
    ]


def test_explain_lists_every_topic_with_its_score_and_reasons(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    project = make_project({"content/sources/listing.txt": LISTING})
    site = load(project)
    (paper,) = find_papers(site, "lora tricks")
    text = explain(site, paper)
    assert text.splitlines()[:4] == [
        "LoRA Tricks for Everyone",
        "slug: lora-tricks-for-everyone",
        "kind: method — the default kind: no kind rule matched strongly enough",
        "topics: peft",
    ]
    assert "✓  12.00  peft: “LoRA” in title (+6); “LoRA” ×2, “adapters” in abstract (+6)" in text
    assert "   0.00  alignment: no match" in text
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["explain", "dpo-without-tears"]).output.startswith("DPO Without Tears\n")
    one = runner.invoke(main, ["explain", "tears"])
    assert one.output.startswith("DPO Without Tears\n")
    several = runner.invoke(main, ["explain", "adapter"])  # as search finds it: "adapters" in an abstract
    assert several.exit_code == 1
    assert "2 papers match 'adapter':\n  - lora-tricks-for-everyone: LoRA" in several.output
    assert "  - a-gentle-study: A Gentle Study\n" in several.output
    assert "Nothing was written" not in several.output
    missing = runner.invoke(main, ["explain", "quantum", "gravity"])
    assert missing.exit_code == 1 and "no paper matches 'quantum gravity'" in missing.output


def test_explain_names_the_topics_with_their_own_share_of_the_best_score(make_project) -> None:
    from .conftest import MINIMAL_TAXONOMY

    own = MINIMAL_TAXONOMY.replace(
        "    description: RLHF and DPO.\n", "    description: RLHF and DPO.\n    secondary_ratio: 0.2\n"
    )
    site = load(make_project({"content/sources/listing.txt": LISTING, "content/taxonomy.yaml": own}))
    (paper,) = find_papers(site, "lora tricks")
    assert "further topics need 0.5 × the best score (alignment 0.2)" in explain(site, paper)


def test_drift_report_names_what_moved(make_project, tmp_path: Path) -> None:
    site = load(make_project({"content/sources/listing.txt": LISTING}))
    before = json.dumps(
        [
            {"id": "lora-tricks-for-everyone", "topics": ["alignment"]},
            {"id": "dpo-without-tears", "topics": ["alignment"]},
            {"id": "old-paper", "topics": []},
        ]
    ).encode()
    public = tmp_path / "public"
    public.mkdir()
    (public / "papers.json").write_bytes(before)
    assert drift_report(published_topics(public), site.papers).splitlines() == [
        "Since the last build: 1 paper changed topics, 1 new, 1 gone.",
        "  lora-tricks-for-everyone: +peft -alignment",
        "  new: a-gentle-study",
        "  gone: old-paper",
    ]
    assert drift_report(None, site.papers) == ""
    assert published_topics(tmp_path / "none") is None
    (public / "papers.json").write_bytes(b'{"not": "a list"}')
    assert published_topics(public) is None
    same = json.dumps([{"id": p.slug, "topics": p.topic_ids} for p in site.papers]).encode()
    (public / "papers.json").write_bytes(same)
    assert drift_report(published_topics(public), site.papers) == "No topic changes since the last build."


def test_the_drift_report_says_how_many_more_it_does_not_list(make_project) -> None:
    site = load(make_project({"content/sources/listing.txt": LISTING}))
    before = {p.slug: p.topic_ids for p in site.papers} | {f"old-{n}": [] for n in range(6)}
    report = drift_report(before, site.papers).splitlines()
    assert report[0] == "Since the last build: 0 papers changed topics, 0 new, 6 gone."
    assert report[1:] == [
        *(f"  gone: old-{n}" for n in range(5)),
        "  … and 1 more (the previous papers.json lists them)",
    ]


def test_build_prints_drift_after_a_taxonomy_edit(make_project, runner: CliRunner, monkeypatch) -> None:
    project = make_project({"content/sources/listing.txt": LISTING})
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["build"]).exit_code == 0
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("[lora, adapter*]", "[lora]"))
    result = runner.invoke(main, ["build"])
    assert "Since the last build: 1 paper changed topics, 0 new, 0 gone." in result.output
    assert "  a-gentle-study: -peft" in result.output


def test_the_drift_report_compares_with_the_site_published_whoever_put_it_there(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    project = make_project({"content/sources/listing.txt": LISTING})
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["build", "--quiet"]).exit_code == 0
    published = project / "public" / "papers.json"
    restored = json.loads(published.read_bytes())
    for record in restored:
        record["topics"] = ["alignment"] if record["id"] == "a-gentle-study" else record["topics"]
    published.write_text(json.dumps(restored))  # an older site restored by hand
    result = runner.invoke(main, ["build"])
    assert "  a-gentle-study: +peft -alignment" in result.output, result.output


def test_topic_pages_show_possibly_related_papers_apart(make_project, tmp_path: Path) -> None:
    from sitegen.pipeline import build

    from .conftest import MINIMAL_TAXONOMY

    listing = LISTING + "\nA Short Note\n\nNothing but preference here.\n"
    taxonomy = "settings:\n  threshold: 3.5\n" + MINIMAL_TAXONOMY  # one mention (3 points) is just under
    project = make_project({"content/sources/listing.txt": listing, "content/taxonomy.yaml": taxonomy})
    site = load(project)
    assert [p.slug for p in site.near_topic("alignment")] == ["a-short-note"]
    out = tmp_path / "out"
    build(load_config(project / "site.yaml").with_overrides(output_dir=out))
    page = (out / "topics" / "alignment" / "index.html").read_text()
    related = page.split('id="related-heading"')[1]
    assert "A Short Note" in related and "DPO Without Tears" not in related


def test_counts_in_messages_agree_with_their_number():
    assert counted(1, "papers") == "1 paper"
    assert counted(0, "papers") == "0 papers"
    assert counted(2, "listings") == "2 listings"
    assert counted(1, "off-topic") == "1 off-topic"  # a word that does not change
