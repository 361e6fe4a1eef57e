"""Every kind of bad input an editor can produce: exit 1, `file:line: what — what to do`, site intact.

Each case breaks a freshly built scratch survey one way, rebuilds, and checks the message names
the file (and the line where there is one), no traceback is printed, and public/ is unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.cli import main

from .conftest import snapshot


@dataclass(frozen=True)
class BadInput:
    name: str
    breaks: Callable[[Path], None]
    where: str  # the start of the message: file, or file:line
    says: str  # what the message must say


def write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    return apply


def replace_in(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        path = project / relative
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))

    return apply


def link_outside(relative: str, content: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        target = project.parent / ("outside-" + Path(relative).name)
        target.write_text(content)
        path = project / relative
        path.unlink(missing_ok=True)
        os.symlink(target, path)

    return apply


def remove(relative: str) -> Callable[[Path], None]:
    return lambda project: (project / relative).unlink()


TAXONOMY = "content/taxonomy.yaml"
LISTING = "content/sources/listing.txt"
CASES = [
    BadInput(
        "site.yaml syntax", write("site.yaml", "title: [unclosed\n"), "site.yaml:2:", "YAML syntax error"
    ),
    BadInput(
        "misspelt site.yaml key",
        write("site.yaml", "title: T\nbase_url: /\nautor: Me\n"),
        "site.yaml:3:",
        "unknown key 'autor' in site.yaml — did you mean 'author'?",
    ),
    BadInput(
        "wrong type in site.yaml",
        write("site.yaml", "title: T\nlatest_count: many\n"),
        "site.yaml:2:",
        "'latest_count' must be a whole number",
    ),
    BadInput(
        "site.yaml not a mapping", write("site.yaml", "- a\n- b\n"), "site.yaml:1:", "must be a mapping"
    ),
    BadInput(
        "taxonomy syntax", write(TAXONOMY, "topics:\n\t- id: x\n"), "taxonomy.yaml:2:", "YAML syntax error"
    ),
    BadInput(
        "misspelt taxonomy key",
        replace_in(TAXONOMY, "    rules:\n      - phrases: [lora", "    rulez:\n      - phrases: [lora"),
        "taxonomy.yaml:5:",
        "did you mean 'rules'?",
    ),
    BadInput(
        "wrong type of weight",
        replace_in(TAXONOMY, "weight: 3", "weight: heavy"),
        "taxonomy.yaml:7:",
        "'weight' of a rule of topic 'peft' must be a number",
    ),
    BadInput(
        "duplicate topic id",
        replace_in(TAXONOMY, "id: alignment", "id: peft"),
        "taxonomy.yaml:8:",
        "duplicate topic id 'peft' (first at line 2)",
    ),
    BadInput("empty taxonomy", write(TAXONOMY, ""), "taxonomy.yaml:", "the taxonomy has no topics"),
    BadInput("missing taxonomy", remove(TAXONOMY), "taxonomy.yaml:", "taxonomy not found"),
    BadInput(
        "invalid regular expression",
        replace_in(TAXONOMY, "phrases: [lora, adapter*]", "pattern: '(unclosed'"),
        "taxonomy.yaml:6:",
        "invalid pattern",
    ),
    BadInput(
        "example naming no paper",
        replace_in(
            TAXONOMY,
            "    rules:\n      - phrases: [lora",
            "    examples: [LoRA Trick]\n    rules:\n      - phrases: [lora",
        ),
        "taxonomy.yaml:5:",
        "did you mean 'LoRA Tricks for Everyone'",
    ),
    BadInput(
        "override naming no paper",
        write("content/overrides.yaml", "papers:\n  - paper: No Such Paper\n    kind: survey\n"),
        "overrides.yaml:2:",
        "no paper",
    ),
    BadInput(
        "override naming no topic",
        write("content/overrides.yaml", "papers:\n  - paper: DPO Without Tears\n    topics: [alignmnt]\n"),
        "overrides.yaml:3:",
        "did you mean 'alignment'?",
    ),
    BadInput(
        "listing in Windows-1252",
        write(LISTING, "Caf\xe9 LoRA\n\nAn abstract.\n".encode("cp1252")),
        "listing.txt:1:",
        "not UTF-8 (byte 0xe9); it looks like Windows-1252",
    ),
    BadInput(
        "listing in UTF-16",
        write(LISTING, "LoRA paper\n\nAn abstract.\n".encode("utf-16")),
        "listing.txt:",
        "the listing is UTF-16 text, not UTF-8",
    ),
    BadInput(
        "binary listing", write(LISTING, b"\x7fELF\x02\x01\x00\x00" * 40), "listing.txt:", "binary file"
    ),
    BadInput("empty listing", write(LISTING, "  \n\n"), "listing.txt:", "the listing is empty"),
    BadInput(
        "listing linked from outside",
        link_outside(LISTING, "LoRA paper\n\nAn abstract.\n"),
        "listing.txt:",
        "is a link to",
    ),
    BadInput(
        "page linked from outside",
        link_outside("content/pages/about.md", "# Hi\n"),
        "about.md:",
        "outside the site",
    ),
    BadInput(
        "taxonomy linked from outside",
        link_outside(TAXONOMY, "topics: []\n"),
        "taxonomy.yaml:",
        "the taxonomy is a link to",
    ),
    BadInput("page in Latin-1", write("content/pages/about.md", b"# Caf\xe9\n"), "about.md:1:", "not UTF-8"),
    BadInput(
        "page where the search index goes",
        write("content/pages/pagefind.md", "# Finding papers\n"),
        "pagefind.md:",
        "where the Pagefind search index is published",
    ),
    BadInput("no listings", remove(LISTING), "sources:", "no listings (*.txt) found"),
    BadInput(
        "template syntax",
        replace_in("templates/home.html", "{% block", "{% if %}{% block"),
        "home.html:",
        "template syntax error",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_a_clear_error_and_the_site_stays(
    case: BadInput, make_project, runner: CliRunner, monkeypatch
) -> None:
    project = make_project()
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["build", "--quiet"]).exit_code == 0
    before = snapshot(project / "public")

    case.breaks(project)
    result = runner.invoke(main, ["build"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert errors, result.output
    assert any(case.where in line and case.says in line for line in errors), result.output
    assert all(" — " in line for line in errors), "every error says what to do"
    assert "the previous output is unchanged" in result.output
    assert snapshot(project / "public") == before


def test_debug_shows_the_traceback_for_bad_input(make_project, runner: CliRunner, monkeypatch) -> None:
    project = make_project()
    monkeypatch.chdir(project)
    write(TAXONOMY, "topics: [")(project)
    result = runner.invoke(main, ["--debug", "build"])
    assert result.exit_code != 0
    assert result.exc_info is not None and result.exc_info[0].__name__ == "SitegenError"


def test_warnings_are_printed_once_with_counts_and_strict_makes_them_errors(
    make_project, runner: CliRunner, monkeypatch
) -> None:
    from .conftest import MINIMAL_LISTING, MINIMAL_TAXONOMY

    stray = "".join("  • 3 authors\n" for _ in range(30))
    empty_topic = "  - id: quantum\n    title: Quantum\n    rules:\n      - phrases: [qubit]\n"
    project = make_project(
        {"content/sources/listing.txt": stray + MINIMAL_LISTING, TAXONOMY: MINIMAL_TAXONOMY + empty_topic}
    )
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 20 and len(set(warnings)) == 20
    assert "… and 11 more (sitegen check lists them all)" in result.output
    assert re.search(r"^31 warnings \(30 in \S+listing\.txt, 1 in \S+taxonomy\.yaml\)$", result.output, re.M)

    check = runner.invoke(main, ["check"])
    assert "taxonomy.yaml:14: topic 'quantum' has no papers" in check.output
    assert len([line for line in check.output.splitlines() if line.startswith("warning: ")]) == 31

    strict = runner.invoke(main, ["build", "--strict"])
    assert strict.exit_code == 1
    assert "error: " in strict.output and "topic 'quantum' has no papers" in strict.output


EARLY_AND_LATE = [c for c in CASES if c.name in ("taxonomy syntax", "template syntax")]


@pytest.mark.parametrize("case", EARLY_AND_LATE, ids=["while reading the inputs", "while rendering"])
def test_a_failed_build_leaves_the_site_as_it_was_and_nothing_beside_it(
    case: BadInput, make_project, runner: CliRunner, monkeypatch
) -> None:
    """Whenever a build fails — before or after it began writing the new site beside the output —
    the published site is untouched and no staging folder is left."""
    project = make_project()
    monkeypatch.chdir(project)
    assert runner.invoke(main, ["build", "--quiet"]).exit_code == 0
    before = snapshot(project / "public")

    case.breaks(project)
    assert runner.invoke(main, ["build"]).exit_code == 1
    assert snapshot(project / "public") == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == [".sitegen-cache"]
