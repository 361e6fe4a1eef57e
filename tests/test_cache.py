"""`.sitegen-cache/`: reused only while paper text and sitegen's version are unchanged."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

from sitegen import assign as assign_module
from sitegen import cache as cache_module
from sitegen import pages as pages_module
from sitegen.config import load_config
from sitegen.pipeline import build

from .conftest import snapshot


def build_project(project: Path) -> tuple[dict[str, bytes], tuple[str, ...]]:
    report = build(load_config(project / "site.yaml"))
    return snapshot(project / "public"), report.cached


def cache_entries(project: Path) -> list[str]:
    return sorted(p.name for p in (project / ".sitegen-cache").glob("search-index-*.json"))


def test_a_taxonomy_edit_reuses_the_index_and_the_output_is_identical(make_project) -> None:
    project = make_project()
    first, reused = build_project(project)
    assert reused == () and len(cache_entries(project)) == 1
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("weight: 3", "weight: 4", 1))
    second, reused = build_project(project)
    # This taxonomy scores by its rules alone (no similarity), and the related papers are kept:
    # the text statistics are not needed at all.
    assert reused == ("listing", "search-index", "scores", "markdown", "related")
    assert second["search-index.json"] == first["search-index.json"]
    shutil.rmtree(project / ".sitegen-cache")
    cold, reused = build_project(project)
    assert reused == () and cold == second  # what the cache gave is exactly what a cold build makes
    assert (project / ".sitegen-cache" / ".gitignore").read_text() == "*\n"


def test_changed_paper_text_is_never_served_from_the_cache(make_project) -> None:
    project = make_project()
    build_project(project)
    before = cache_entries(project)
    listing = project / "content" / "sources" / "listing.txt"
    listing.write_text(listing.read_text().replace("LoRA is cheap", "LoRA is quasiperiodic"))
    files, reused = build_project(project)
    assert reused == ("markdown",)  # index, text statistics and related papers are all made again
    assert b"quasiperiod" in files["search-index.json"]
    assert cache_entries(project) != before and len(cache_entries(project)) == 1  # the stale entry is gone


def test_a_new_sitegen_version_or_a_damaged_entry_means_building_afresh(make_project, monkeypatch) -> None:
    project = make_project()
    clean, _ = build_project(project)
    (project / ".sitegen-cache" / cache_entries(project)[0]).write_text('{"truncated": ')
    for kept in (project / ".sitegen-cache").glob("*.pickle"):
        kept.write_bytes(kept.read_bytes()[: len(kept.read_bytes()) // 2])
    damaged, reused = build_project(project)
    assert reused == () and damaged == clean
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    _, reused = build_project(project)
    assert reused == ()


def test_markdown_is_rendered_again_only_when_its_text_changes(make_project, monkeypatch) -> None:
    """Issue 6: a rebuild whose topic descriptions, pages and notes are unchanged takes their HTML
    from the cache (and never imports markdown-it); an edited description is rendered anew."""
    project = make_project()
    first, _ = build_project(project)
    monkeypatch.setattr(pages_module, "_rendered", {})  # as in a new process: only the cache remembers
    real, rendered = pages_module._markdown(), []

    class Counting:
        def render(self, text: str) -> str:
            rendered.append(text)
            return real.render(text)

    monkeypatch.setattr(pages_module, "_markdown", Counting)
    second, reused = build_project(project)
    assert "markdown" in reused and rendered == [] and second == first
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text().replace("RLHF and DPO.", "RLHF and *DPO*."))
    third, _ = build_project(project)
    assert rendered == ["RLHF and *DPO*."]
    assert b"RLHF and <em>DPO</em>." in third["topics/alignment/index.html"]


def test_an_override_that_changes_what_is_searched_makes_a_new_index(make_project) -> None:
    """The index holds the published papers with the editors' corrections: an override that
    retitles a paper or takes it off the site must not be served a stale index."""
    project = make_project()
    first, _ = build_project(project)
    overrides = project / "content" / "overrides.yaml"
    overrides.write_text("papers:\n  - paper: lora-tricks-for-everyone\n    title: Quasiperiodic adapters\n")
    retitled, reused = build_project(project)
    # Assignment and related papers read the listing's own text (so the assignments themselves are
    # reused: overrides apply after them, and no text statistics are needed); the search shows the
    # correction.
    assert (
        reused == ("listing", "assignments", "markdown", "related")
        and b"quasiperiod" in retitled["search-index.json"]
    )
    overrides.write_text("papers:\n  - paper: lora-tricks-for-everyone\n    off_topic: true\n")
    removed, reused = build_project(project)
    # the same texts, but other papers to search and relate
    assert reused == ("listing", "assignments", "markdown", "text-statistics")
    assert len(json.loads(removed["search-docs.json"])) == len(json.loads(first["search-docs.json"])) - 1
    assert len(cache_entries(project)) == 1


def test_compiled_templates_are_kept_but_an_edited_template_always_shows(make_project) -> None:
    project = make_project()
    build_project(project)
    assert list((project / ".sitegen-cache" / "templates").glob("__jinja2_*.cache"))
    base = project / "templates" / "base.html"
    base.write_text(base.read_text().replace("</body>", "<!-- edited template --></body>"))
    files, _ = build_project(project)
    assert b"<!-- edited template -->" in files["index.html"]


TWO_TOPICS_MORE = """\
  - id: data
    title: Training data
    description: Datasets for fine-tuning.
    rules:
      - phrases: [dataset, data]
        weight: 2
kinds:
  default: method
  rules:
    - kind: benchmark
      phrases: [we study]
      weight: 4
settings:
  similarity_weight: 4
"""


def scored_topics(monkeypatch) -> Counter[str]:
    """Counts, per topic id, the papers whose score for it the builds that follow work out anew
    (each passes `_under_floor` once, which decides whether `score_topic` must run)."""
    counted: Counter[str] = Counter()
    real = assign_module.Assigner._under_floor

    def counting(self, topic, text):
        counted[topic.id] += 1
        return real(self, topic, text)

    monkeypatch.setattr(assign_module.Assigner, "_under_floor", counting)
    monkeypatch.setattr("sitegen.background.can_fork", lambda: False)  # count in this process
    return counted


def test_a_rule_edit_rescores_only_its_topic_and_matches_a_cold_build(make_project, monkeypatch) -> None:
    project = make_project()
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text() + TWO_TOPICS_MORE)
    counted = scored_topics(monkeypatch)
    build_project(project)
    assert counted == {"peft": 2, "alignment": 2, "data": 2}
    edits = [
        ("weight: 3\n", "weight: 5\n", {"peft"}),  # a rule of the first topic
        ("[dataset, data]", "[dataset, data, tears]", {"data"}),
        ("RLHF and DPO.", "RLHF, DPO and friends.", {"alignment"}),  # its profile for similarity
        ("    title: Training data\n", "    title: Training data\n    exclude: [lora]\n", {"data"}),
        ("[we study]", "[we study, we find]", set()),  # kinds only: no topic uses `if_kind`
        # a topic's own share of the best score: no score changes, one choice does (checked below)
        ("    title: Training data\n", "    title: Training data\n    secondary_ratio: 0.1\n", set()),
        ("\n  - id: data", "\n\n\n  - id: data", set()),  # moved lines change no score
        ("  similarity_weight: 4\n", "  similarity_weight: 4\n  max_topics: 1\n", set()),  # checked below
    ]
    topics_after: list[dict[str, list[str]]] = []
    for old, new, rescored in edits:
        taxonomy.write_text(taxonomy.read_text().replace(old, new, 1))
        counted.clear()
        cached, reused = build_project(project)
        assert set(counted) == rescored, (old, counted)
        # Moved lines decide nothing: the assignments themselves are reused; any other edit may
        # change a choice, so the topics are chosen again from the scores.
        assert ("assignments" if new.startswith("\n\n\n") else "scores") in reused, (old, reused)
        shutil.rmtree(project / ".sitegen-cache")
        cold, _ = build_project(project)
        assert cached == cold, old  # what the cache gave is exactly what a cold build makes
        topics_after.append({p["id"]: p["topics"] for p in json.loads(cold["papers.json"])})
    # The two edits that change a choice and no score did change it: "data" joined at 0.1 of the
    # best score, then one topic at most.
    dpo = [topics["dpo-without-tears"] for topics in topics_after[-3:]]
    assert dpo == [["alignment", "data"], ["alignment", "data"], ["alignment"]]


def test_kept_scores_are_dropped_when_the_paper_text_changes(make_project, monkeypatch) -> None:
    project = make_project()
    counted = scored_topics(monkeypatch)
    build_project(project)
    listing = project / "content" / "sources" / "listing.txt"
    listing.write_text(listing.read_text().replace("LoRA is cheap", "LoRA is quasiperiodic"))
    counted.clear()
    _, reused = build_project(project)
    assert "scores" not in reused and counted == {"peft": 2, "alignment": 2}
    assert len(list((project / ".sitegen-cache").glob("scores-*.pickle"))) == 1


def test_a_parsed_listing_is_reused_until_its_text_or_capture_date_changes(make_project) -> None:
    """Warnings come back with a reused listing, and each listing file is kept apart."""
    dated = "Mar 11\n\nA Yearless Paper\n\nAn abstract about LoRA.\n\n  • 2 authors\n·\nDec 20\n"
    project = make_project(
        {"content/sources/orphan.txt": "Orphan line\n", "content/sources/dated.txt": dated}
    )
    _, reused = build_project(project)
    assert "listing" not in reused and len(list((project / ".sitegen-cache").glob("listing-*"))) == 3
    report = build(load_config(project / "site.yaml"))
    assert "listing" in report.cached and report.diagnostics.warnings
    assert [str(w) for w in report.diagnostics.warnings] == [str(w) for w in _cold_warnings(project)]
    site_yaml = project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text() + "listings:\n  dated.txt: {captured: 2025-03-11}\n")
    files, _ = build_project(project)
    (paper,) = [p for p in json.loads(files["papers.json"]) if p["title"] == "A Yearless Paper"]
    assert paper["date"] == "2024-12-20"  # the new capture date reached the parser
    assert len(list((project / ".sitegen-cache").glob("listing-*"))) == 3  # replaced, not added


def _cold_warnings(project: Path) -> list[object]:
    shutil.rmtree(project / ".sitegen-cache")
    return list(build(load_config(project / "site.yaml")).diagnostics.warnings)


def test_kept_scores_serve_a_higher_threshold_but_not_a_lower_one(make_project, monkeypatch) -> None:
    """Only scores that can decide something are kept (from 0.8 times the threshold up): raising the
    threshold reuses them, lowering it needs the smaller scores again, so all are made anew."""
    project = make_project()
    taxonomy = project / "content" / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text() + TWO_TOPICS_MORE + "  threshold: 2\n")
    counted = scored_topics(monkeypatch)
    build_project(project)
    for threshold, rescored in (("4", set()), ("1", {"peft", "alignment", "data"})):
        taxonomy.write_text(re.sub(r"threshold: \S+", f"threshold: {threshold}", taxonomy.read_text()))
        counted.clear()
        cached, _ = build_project(project)
        assert set(counted) == rescored, threshold
        shutil.rmtree(project / ".sitegen-cache")
        cold, _ = build_project(project)
        assert cached == cold, threshold


def test_an_entry_is_read_once_per_process_until_its_file_is_replaced(tmp_path: Path, monkeypatch) -> None:
    """The preview's builder builds again and again: it reads each kept result once, but reads
    it again when another build (a `sitegen build` beside the preview) replaced the file."""
    import pickle

    monkeypatch.setattr(cache_module, "_loaded", None)
    cache_module.keep_between_builds()  # as the preview does
    cache = cache_module.BuildCache(tmp_path / "cache")
    cache.keep("entry", ["inputs"], {"value": 1})
    reads = []
    real_loads = pickle.loads
    monkeypatch.setattr(cache_module.pickle, "loads", lambda data: reads.append(1) or real_loads(data))
    assert cache.load("entry", ["inputs"]) == {"value": 1} and reads == []  # kept here: not read back
    (path,) = (tmp_path / "cache").glob("entry-*.pickle")
    replacement = tmp_path / "replacement"
    replacement.write_bytes(pickle.dumps({"value": 2}))
    replacement.replace(path)  # as `keep` in another process does
    assert cache.load("entry", ["inputs"]) == {"value": 2} and reads == [1]
    assert cache.load("entry", ["inputs"]) == {"value": 2} and reads == [1]  # once
    assert cache.load("entry", ["other inputs"]) is None
