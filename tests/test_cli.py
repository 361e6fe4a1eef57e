"""The command line as an editor meets it: exit codes, messages, untouched output."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sitegen.cli import main


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_build_writes_the_site_and_prints_a_summary(make_project, runner: CliRunner, monkeypatch) -> None:
    project = make_project()
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Built public: 2 papers, 2 topics, 0 unsorted, 0 off-topic, 1 listing")
    papers = json.loads((project / "public" / "papers.json").read_text())
    assert {p["title"]: p["topics"] for p in papers} == {
        "LoRA Tricks for Everyone": ["peft"],
        "DPO Without Tears": ["alignment"],
    }


def test_out_and_base_url_options(make_project, runner: CliRunner, tmp_path: Path) -> None:
    project = make_project()
    out = tmp_path / "elsewhere"
    result = runner.invoke(
        main,
        [
            "build",
            "--config",
            str(project / "site.yaml"),
            "--out",
            str(out),
            "--base-url",
            "https://me.github.io/survey",
        ],
    )
    assert result.exit_code == 0, result.output
    assert 'href="/survey/search/"' in (out / "index.html").read_text()
    assert "<loc>https://me.github.io/survey/papers/" in (out / "sitemap.xml").read_text()


def test_invalid_taxonomy_exits_1_with_file_line_and_leaves_output_untouched(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    project = make_project()
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["build"]).exit_code == 0
    before = snapshot(project / "public")
    (project / "content" / "taxonomy.yaml").write_text("topics:\n  - id: a\n    title: [broken\n")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    taxonomy = project / "content" / "taxonomy.yaml"
    assert f"error: {taxonomy}:4: YAML syntax error" in result.output
    assert "Traceback" not in result.output
    assert "previous output is unchanged" in result.output
    assert snapshot(project / "public") == before


def test_debug_shows_the_traceback(make_project, runner: CliRunner, monkeypatch) -> None:
    project = make_project({"content/taxonomy.yaml": "topics: []\n"})
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["--debug", "build"])
    assert result.exit_code == 1
    assert result.exception is not None and "the taxonomy has no topics" in str(result.exception)


def test_missing_site_yaml_is_a_clear_error(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 1
    assert (
        "error: site.yaml: no site.yaml here — run sitegen in your survey's folder or pass --config PATH"
        in result.output
    )


def test_check_validates_without_writing_and_lists_unsorted(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    listing = "A Paper About Cooking\n\nNothing about models here.\n\nLoRA Again\n\nLoRA adapters.\n"
    project = make_project({"content/sources/listing.txt": listing})
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    assert "OK: 2 papers, 2 topics, 1 page, 1 unsorted, 0 off-topic." in result.output
    assert (
        "Unsorted papers (no topic scored high enough): 1\n  - a-paper-about-cooking: A Paper About Cooking"
        in result.output
    )
    assert "Empty topics: 1\n  - alignment (Preference alignment)" in result.output
    assert (
        "Rules that match no paper: 1\n  - taxonomy.yaml:12: topic 'alignment': rlhf, dpo, preference"
        in result.output
    )
    assert not (project / "public").exists()


def test_warnings_are_printed_and_strict_turns_them_into_errors(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    listing = "  • 3 authors\nLoRA Again\n\nLoRA adapters.\n"
    project = make_project({"content/sources/listing.txt": listing})
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0
    assert "warning: " in result.output and "listing.txt:1: author count before any paper" in result.output
    strict = runner.invoke(main, ["build", "--strict", "--out", "strict-out"])
    assert strict.exit_code == 1
    assert not (project / "strict-out").exists()


def test_refuses_an_output_folder_it_did_not_create(make_project, runner: CliRunner, monkeypatch) -> None:
    project = make_project()
    monkeypatch.chdir(project)
    for target in (".", "content", "templates"):
        result = runner.invoke(main, ["build", "--out", target])
        assert result.exit_code == 1
        assert "refusing to use this folder as output" in result.output
    (project / "mine").mkdir()
    (project / "mine" / "thesis.tex").write_text("precious")
    result = runner.invoke(main, ["build", "--out", "mine"])
    assert result.exit_code == 1
    assert "refusing to replace a folder that sitegen did not create" in result.output
    assert (project / "mine" / "thesis.tex").read_text() == "precious"


def test_hostile_text_is_escaped_everywhere(make_project, runner: CliRunner, monkeypatch) -> None:
    listing = "<script>alert(1)</script> LoRA\n\nAn abstract with <img src=x onerror=alert(2)> and LoRA.\n"
    page = "# About\n\n<script>alert(3)</script>\n\n[click](javascript:alert(4)) [ok](https://example.org)\n"
    overrides = (
        "papers:\n  - paper: DPO Without Tears\n"
        "    organization: '<script>alert(5)</script>'\n"
        '    note: "<script>alert(6)</script> [x](javascript:alert(7)) <img src=x onerror=alert(8)>"\n'
    )
    project = make_project(
        {
            "content/sources/listing.txt": listing + "\nDPO Without Tears\n\nDPO aligns models.\n",
            "content/pages/about.md": page,
            "content/overrides.yaml": overrides,
        }
    )
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    dpo = (project / "public" / "papers" / "dpo-without-tears" / "index.html").read_text()
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in dpo and "&lt;script&gt;alert(6)" in dpo
    for html_file in (project / "public").rglob("*.html"):
        html = html_file.read_text()
        assert "<script>alert" not in html, html_file
        assert "<img src=x" not in html, html_file
        assert 'href="javascript:' not in html, html_file
    about = (project / "public" / "about" / "index.html").read_text()
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in about
    assert '<a href="https://example.org">ok</a>' in about


def test_output_does_not_depend_on_the_hash_seed(make_project, tmp_path: Path) -> None:
    """Set iteration order changes between processes; the site must not."""
    import os
    import subprocess
    import sys

    listing = "LoRA adapters for DPO\n\nLoRA, adapters, instruction tuning, instruction-tuning and DPO.\n"
    project = make_project({"content/sources/listing.txt": listing})
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sitegen",
                "build",
                "--quiet",
                "--config",
                str(project / "site.yaml"),
                "--out",
                str(out),
            ],
            check=True,
            env=env,
        )
        outputs.append(snapshot(out))
    assert outputs[0] == outputs[1]
