"""The benchmark harness's synthetic surveys: deterministic, realistic, and buildable as they are."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sitegen.config import load_config
from sitegen.pipeline import build

from .conftest import ROOT


def benchmark(name: str) -> ModuleType:
    """A benchmark script as a module; its siblings importable, as when it runs as a script."""
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


def synthetic() -> ModuleType:
    return benchmark("synthetic")


def test_synthetic_papers_are_deterministic_unique_and_not_real_titles() -> None:
    gen = synthetic()
    first, again, other = (
        gen.synthetic_papers(200, seed=7),
        gen.synthetic_papers(200, seed=7),
        gen.synthetic_papers(200, seed=8),
    )
    assert first == again and first != other
    titles = [entry.split("\n", 1)[0] for entry in first]
    real, _ = gen.source_material()
    assert len({t.lower() for t in titles}) == 200 and not {t.lower() for t in titles} & {
        t.lower() for t in real
    }
    assert all("authors\n·\n" in entry for entry in first)


def test_a_synthetic_survey_builds_with_exactly_the_papers_asked_for(tmp_path: Path) -> None:
    project = synthetic().write_survey(480, tmp_path / "survey")
    report = build(load_config(project / "site.yaml"))
    papers = json.loads((project / "public" / "papers.json").read_text(encoding="utf-8"))
    assert len(papers) == report.counts["papers"] == 480
    dated = [p for p in papers if p["date"]]
    assert len(dated) > 100 and min(p["date"] for p in dated) >= "2021" and any(p["upvotes"] for p in papers)
    # The harness's edits: one that moves no paper, and one that moves some.
    measure = benchmark("measure")

    def topics_after(edit) -> dict[str, list[str]]:
        edit(project, 0)
        build(load_config(project / "site.yaml"))
        papers = json.loads((project / "public" / "papers.json").read_text(encoding="utf-8"))
        return {p["id"]: p["topics"] for p in papers}

    topics = {p["id"]: p["topics"] for p in papers}
    assert topics_after(measure.edit_one_topic) == topics
    assert topics_after(measure.edit_moving_papers) != topics


def test_the_bare_jinja_baseline_writes_the_same_pages(
    default_site: Path, tmp_path: Path, monkeypatch
) -> None:
    """The baseline is only fair if it renders what sitegen renders: a page per paper and topic."""
    bare = benchmark("bare_jinja")
    monkeypatch.setattr("sys.argv", ["bare_jinja.py", str(default_site), str(tmp_path)])
    bare.main()
    assert {p.name for p in (tmp_path / "papers").iterdir()} == {
        p.name for p in (default_site / "papers").iterdir()
    }
    written_topics = {
        str(p.parent.relative_to(tmp_path / "topics")) for p in (tmp_path / "topics").rglob("index.html")
    }
    site_topics = {
        str(p.parent.relative_to(default_site / "topics"))
        for p in (default_site / "topics").rglob("index.html")
    }
    assert written_topics and written_topics <= site_topics  # empty topics have no page in the baseline


def test_the_scale_table_reports_the_slope_between_sizes() -> None:
    rows = [
        {
            "papers": 1000,
            "cold": 2.0,
            "cold_min": 1.9,
            "cold_max": 2.1,
            "edit": 1.0,
            "moving": 1.5,
            "template": 0.8,
            "memory": 100,
            "bare": 0.5,
            "ratio": 4.0,
        },
        {
            "papers": 11000,
            "cold": 22.0,
            "cold_min": 21,
            "cold_max": 23,
            "edit": 9.0,
            "moving": 12.0,
            "template": 6.0,
            "memory": 900,
            "bare": 5.0,
            "ratio": 4.4,
        },
    ]
    text = benchmark("scale").table(rows, 3)
    assert "| 11,000 | 22.00 s | 21.00–23.00 s | 9.00 s | 12.00 s | 6.00 s | 900 MB | 5.00 s | 4.4 |" in text
    assert "Slope 1,000 → 11,000 papers: 2.00 s per 1,000 papers." in text


def test_a_cold_run_moves_the_previous_output_aside_into_the_scratch_folder(tmp_path: Path) -> None:
    """Nothing is deleted between timed builds (see `scale.cold`): it all goes with the scratch folder."""
    scale = benchmark("scale")
    project = tmp_path / "survey-10"
    (project / "public" / "papers").mkdir(parents=True)
    (project / "public" / "index.html").write_text("old")
    (project / ".sitegen-cache").mkdir()
    scale.move_aside(tmp_path, project / "public", project / ".sitegen-cache", project / ".public.spare")
    assert not (project / "public").exists() and not (project / ".sitegen-cache").exists()
    moved = sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "moved-aside").rglob("*"))
    assert "index.html" in {Path(m).name for m in moved} and all(m.startswith("moved-aside/") for m in moved)
    assert {Path(m).name for m in moved} >= {"public", ".sitegen-cache", "papers"}


def test_the_benchmarked_edit_changes_one_topic_rule_of_the_default_taxonomy(tmp_path: Path) -> None:
    from sitegen.classify.taxonomy import load_taxonomy

    edit_one_topic = benchmark("measure").edit_one_topic
    (tmp_path / "content").mkdir()
    taxonomy = tmp_path / "content" / "taxonomy.yaml"
    taxonomy.write_bytes((ROOT / "content" / "taxonomy.yaml").read_bytes())

    def rules() -> dict[str, list[tuple[object, ...]]]:  # (rules compare by identity)
        return {
            t.id: [(r.weight, r.phrases, r.pattern) for r in t.rules] for t in load_taxonomy(taxonomy).walk()
        }

    before = rules()
    edit_one_topic(tmp_path, 7)
    after = rules()
    changed = [tid for tid in before if before[tid] != after[tid]]
    assert len(changed) == 1 and "editphrase7" in after[changed[0]][0][1]


def test_the_benchmarked_template_edit_changes_the_layout_once_whatever_the_run(tmp_path: Path) -> None:
    edit_a_template = benchmark("measure").edit_a_template
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    original = (tmp_path / "templates" / "base.html").read_text()
    for n in (1, 2):
        edit_a_template(tmp_path, n)
    edited = (tmp_path / "templates" / "base.html").read_text()
    assert edited == original.replace("</body>", "<!-- edit 2 --></body>") and edited.count("<!-- edit") == 1


def test_the_terminal_benchmark_gives_the_build_a_terminal_and_reads_all_it_prints(tmp_path: Path) -> None:
    """Its figure is only what an editor waits for if the build sees a terminal (and shows its
    progress line); and a terminal nobody read would stop a build that prints much."""
    run_on_terminal = benchmark("measure").run_on_terminal
    on_terminal = "import sys; print('x' * 200_000); sys.exit(0 if sys.stderr.isatty() else 3)"
    elapsed, _ = run_on_terminal([sys.executable, "-c", on_terminal], tmp_path)
    assert elapsed > 0
    with pytest.raises(SystemExit, match="failed"):  # a process that fails is reported, not timed
        run_on_terminal([sys.executable, "-c", "raise SystemExit(3)"], tmp_path)
