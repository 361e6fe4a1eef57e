"""`sitegen new DIR`: write a small survey that builds at once, to copy and grow.

The starter holds a site.yaml, an example taxonomy with rules, overrides, an About page, one
copied listing, and the default templates, so an editor can see every moving part.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import SitegenError

STARTER = Path(__file__).parents[1] / "starter"


def default_theme_dir() -> Path:
    """The default templates: inside the installed package, or the repository's in development."""
    packaged = Path(__file__).parents[1] / "_theme"
    if packaged.is_dir():
        return packaged
    repository = Path(__file__).resolve().parents[3] / "templates"
    if repository.is_dir():
        return repository
    raise SitegenError.at(
        packaged,
        None,
        "the default templates are missing from this installation",
        "reinstall sitegen (pip install --force-reinstall sitegen)",
    )


def new_survey(target: Path) -> list[Path]:
    """Create the starter survey in `target`, which must not exist or be empty."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SitegenError.at(
            target,
            None,
            "the folder already exists and is not empty",
            "choose a new folder name; sitegen new never overwrites files",
        )
    theme = default_theme_dir()
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(STARTER, target, dirs_exist_ok=True)
    shutil.copytree(theme, target / "templates", dirs_exist_ok=True)
    (target / ".gitignore").write_text("/public/\n/.sitegen-cache/\n", encoding="utf-8")
    return sorted(p for p in target.rglob("*") if p.is_file())
