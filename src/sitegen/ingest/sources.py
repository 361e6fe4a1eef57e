"""Reading the raw listings from disk, with the checks that make bad files clear errors.

A listing must be a UTF-8 text file inside the sources folder; anything else (binary data,
another encoding, an empty file, a link that leads outside the site) stops the build with a
message that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, SitegenError
from ..textfiles import read_text_into

LISTING_SUFFIX = ".txt"


@dataclass(frozen=True)
class SourceText:
    path: Path
    text: str


def read_sources(sources_dir: Path, site_root: Path) -> list[SourceText]:
    """Every `*.txt` listing in name order, or one error listing every unreadable file."""
    if not sources_dir.is_dir():
        raise SitegenError.at(
            sources_dir,
            None,
            "the listings folder does not exist",
            "create it and put the copied paper listings (*.txt) in it",
        )
    paths = sorted(p for p in sources_dir.iterdir() if p.suffix == LISTING_SUFFIX)
    if not paths:
        raise SitegenError.at(
            sources_dir,
            None,
            "no listings (*.txt) found",
            "copy a Hugging Face papers listing into a .txt file here",
        )
    problems: list[Problem] = []
    texts = []
    for path in paths:
        text = read_text_into(path, site_root, problems, what="listing", empty_ok=False)
        if text is not None:
            texts.append(SourceText(path, text))
    if problems:
        raise SitegenError(*problems)
    return texts
