"""The benchmark harness's synthetic surveys: deterministic, realistic, and buildable as they are."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

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


def test_the_peer_survey_gives_hugo_a_page_per_paper_with_its_topics(tmp_path: Path) -> None:
    peers = benchmark("peers")
    papers = [
        {"id": "a-paper", "title": 'A "quoted" title', "abstract": "Text.", "topics": ["peft"], "date": None},
        {"id": "b-paper", "title": "B", "abstract": "More.", "topics": [], "date": "2024-05-01"},
    ]
    assert peers.hugo_project(papers, tmp_path / "hugo") == 2
    first = (tmp_path / "hugo" / "content" / "papers" / "a-paper.md").read_text().split("\n\n", 1)
    assert json.loads(first[0]) == {"title": 'A "quoted" title', "topics": ["peft"]} and first[1] == "Text.\n"
    if shutil.which("hugo"):
        peers.run(peers.HUGO, tmp_path / "hugo")
        public = tmp_path / "hugo" / "public"
        pages = {p.relative_to(public).as_posix() for p in public.rglob("*.html")}
        assert {"papers/a-paper/index.html", "papers/b-paper/index.html", "topics/peft/index.html"} <= pages
