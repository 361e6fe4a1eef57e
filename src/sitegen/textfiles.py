"""Reading the editor's files as text, with one set of checks for all of them.

Listings, Markdown pages, the taxonomy and the overrides are all hand-edited or pasted, so each
read refuses the same mistakes with the same clear messages: a file that is missing, empty,
binary, in another encoding than UTF-8 (naming the one it looks like), or a symbolic link that
leads outside the site.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import Problem, SitegenError


def read_text(path: Path, site_root: Path | None = None, *, what: str = "file", empty_ok: bool = True) -> str:
    """The file's text, or a `SitegenError` saying what is wrong with it and what to do."""
    problems: list[Problem] = []
    text = read_text_into(path, site_root, problems, what=what, empty_ok=empty_ok)
    if text is None:
        raise SitegenError(*problems)
    return text


def read_text_into(
    path: Path, site_root: Path | None, problems: list[Problem], *, what: str = "file", empty_ok: bool = True
) -> str | None:
    """Like `read_text`, but appends the problem to `problems` and returns None, to report many files."""
    problem = _link_problem(path, site_root, what)
    if problem is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            problem = Problem(path, None, f"{what} not found", "create it or fix the path")
        except IsADirectoryError:
            problem = Problem(path, None, f"is a folder, not a {what}", "point to a file")
        except OSError as exc:
            problem = Problem(path, None, f"cannot read the {what}: {exc.strerror}", "check its permissions")
        else:
            text, problem = _decode(path, data, what)
            if problem is None and not empty_ok and not text.strip():
                problem = Problem(path, None, f"the {what} is empty", "fill it in or delete it")
            if problem is None:
                return text
    problems.append(problem)
    return None


def _link_problem(path: Path, site_root: Path | None, what: str) -> Problem | None:
    """A symbolic link (the file or a folder on its way) whose target lies outside the site."""
    if site_root is None:
        return None
    real = path.resolve()
    if real == Path(os.path.abspath(path)) or real.is_relative_to(site_root.resolve()):
        return None
    return Problem(
        path,
        None,
        f"the {what} is a link to {real}, outside the site",
        "copy the file into the site's folder instead of linking to it",
    )


def _decode(path: Path, data: bytes, what: str) -> tuple[str, Problem | None]:
    encoding = _utf16_or_32(data)
    if encoding:
        return "", Problem(
            path, None, f"the {what} is {encoding} text, not UTF-8", "re-save it as UTF-8 (without BOM)"
        )
    if b"\x00" in data[:8192]:
        return "", Problem(
            path, None, f"the {what} looks like a binary file, not text", "save it as plain UTF-8 text"
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", Problem(
            path,
            line,
            f"the {what} is not UTF-8 (byte 0x{data[exc.start]:02x}); {_guess_8bit(data)}",
            "re-save it as UTF-8 text",
        )


def _utf16_or_32(data: bytes) -> str | None:
    """UTF-16/32 by byte-order mark, or by the zero bytes every other byte of ASCII text has."""
    boms = {
        b"\xff\xfe\x00\x00": "UTF-32",
        b"\x00\x00\xfe\xff": "UTF-32",
        b"\xff\xfe": "UTF-16",
        b"\xfe\xff": "UTF-16",
    }
    for bom, name in boms.items():
        if data.startswith(bom):
            return name
    sample = data[:4096]
    if len(sample) >= 8:
        even_zeros = sample[0::2].count(0) / len(sample[0::2])
        odd_zeros = sample[1::2].count(0) / len(sample[1::2])
        if max(even_zeros, odd_zeros) > 0.4 and min(even_zeros, odd_zeros) < 0.05:
            return "UTF-16"
    return None


def _guess_8bit(data: bytes) -> str:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return "its encoding is unknown"
    return "it looks like Windows-1252 / Latin-1"
