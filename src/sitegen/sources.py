"""Reading the raw listings from disk, with the checks that make bad files clear errors.

A listing must be a UTF-8 text file inside the sources folder; anything else (binary data,
another encoding, an empty file, a link that leads outside the site) stops the build with a
message that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, SitegenError

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
        text = _read_one(path, site_root, problems)
        if text is not None:
            texts.append(SourceText(path, text))
    if problems:
        raise SitegenError(*problems)
    return texts


def _read_one(path: Path, site_root: Path, problems: list[Problem]) -> str | None:
    resolved = path.resolve()
    if not resolved.is_relative_to(site_root.resolve()):
        problems.append(
            Problem(
                path,
                None,
                f"is a link to {resolved}, outside the site",
                "copy the file into the sources folder instead of linking it",
            )
        )
        return None
    data = resolved.read_bytes()
    if not data.strip():
        problems.append(Problem(path, None, "the listing is empty", "paste a listing into it or delete it"))
        return None
    if b"\x00" in data[:4096]:
        problems.append(
            Problem(
                path,
                None,
                "looks like a binary file, not a text listing",
                "save the copied listing as plain text (.txt)",
            )
        )
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                path,
                line,
                f"is not UTF-8 (byte 0x{data[exc.start]:02x}); {_guess_encoding(data)}",
                "re-save the file as UTF-8 text",
            )
        )
        return None


def _guess_encoding(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "it looks like UTF-16"
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "its encoding is unknown"
    return "it looks like Windows-1252 / Latin-1"
