"""`sitegen new`: a starter survey that builds at once and never overwrites anything."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sitegen.cli import main


def test_new_survey_builds_at_once(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "my-survey"
    result = runner.invoke(main, ["new", str(target)])
    assert result.exit_code == 0, result.output
    build_step, serve_step = result.output.splitlines()[1:3]
    assert build_step.startswith(f"  cd {target} && sitegen build ")
    assert build_step.index("#") == serve_step.index("#")  # the comments line up, whatever the folder
    for name in (
        "site.yaml",
        "content/taxonomy.yaml",
        "content/overrides.yaml",
        "content/pages/about.md",
        "content/sources/example.txt",
        "templates/base.html",
        "templates/static/vendor/lunr/lunr.js",
    ):
        assert (target / name).is_file(), name
    monkeypatch.chdir(target)
    built = runner.invoke(main, ["build"])
    assert built.exit_code == 0, built.output
    papers = json.loads((target / "public" / "papers.json").read_text())
    assert len(papers) == 6
    topics = {p["title"]: p["topics"] for p in papers}
    assert (
        topics["Intuitive Fine-Tuning: Towards Unifying SFT and RLHF into a Single Process"][0] == "alignment"
    )
    masked = next(t for t in topics if t.startswith("Masked Thought"))
    assert "reasoning" in topics[masked]


def test_new_quotes_a_folder_name_with_spaces_in_the_next_steps(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "my survey"
    result = runner.invoke(main, ["new", str(target)])
    assert result.exit_code == 0, result.output
    assert f"  cd '{target}' && sitegen build" in result.output  # pasted into a shell, it works


def test_new_refuses_a_folder_with_files(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = runner.invoke(main, ["new", str(tmp_path)])
    assert result.exit_code == 1
    assert "the folder already exists and is not empty" in result.output
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
