"""The style the project holds itself to (STYLE.md: ruff clean, mypy on src/), checked with the
suite so a change that breaks it cannot land."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_ruff_finds_nothing_to_fix() -> None:
    lint = run_tool("ruff", "check", "--no-cache", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    formatting = run_tool("ruff", "format", "--check", "--no-cache", ".")
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_mypy_finds_no_type_errors_in_src() -> None:
    # No cache folder in the checkout: the types are checked afresh, as on a clean clone.
    checked = run_tool("mypy", "--cache-dir", "/dev/null")
    assert checked.returncode == 0, checked.stdout + checked.stderr
