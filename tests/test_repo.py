"""Promises the repository makes to a new user: the README's commands, CI and the Pages workflow."""

from __future__ import annotations

import re

import yaml

from .conftest import ROOT


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", quick_start)


def test_readme_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    install_and_build, install_and_test = quick_start_commands()
    assert "pip install" in install_and_build and "sitegen build" in install_and_build
    assert "[test]" in install_and_test and "pytest" in install_and_test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()


def test_pages_workflow_builds_with_the_pages_base_url_and_uses_official_actions() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    uses = {s["uses"].split("@")[0] for s in steps if "uses" in s}
    assert {"actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"} <= uses
    runs = " ".join(s.get("run", "") for s in steps)
    assert "sitegen build --base-url" in runs and "steps.pages.outputs.base_url" in runs
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_seeds_are_part_of_the_project() -> None:
    assert len(list((ROOT / "content" / "sources").glob("*.txt"))) == 5
