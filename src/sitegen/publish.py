"""Publish the rendered site: every file into a staging folder beside the output, then one swap.

A failed or interrupted build never touches the output: the new site is written into
`.<output>.new-<pid>-<random>` and only a complete one replaces the output, by two renames (the
output aside as `.<output>.old-…`, the staging folder into its place). A build killed before that
leaves a staging folder, and one killed between the two renames leaves the previous site aside:
the next build removes the first and puts the second back before it does anything else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from .errors import SitegenError

MARKER = ".sitegen-output"  # in every site sitegen writes: what it may replace


def check_output_dir(output_dir: Path, protected: list[Path]) -> None:
    """Refuse an output folder that would clobber the project or anything sitegen did not make."""
    output_dir = output_dir.resolve()
    dangerous = {Path("/"), Path.home().resolve(), *(p.resolve() for p in protected)}
    if output_dir in dangerous or any(p.is_relative_to(output_dir) for p in dangerous if p != Path("/")):
        raise SitegenError.at(
            output_dir,
            None,
            "refusing to use this folder as output: it holds your project or files",
            "set output_dir in site.yaml (or --out) to a folder of its own, e.g. public",
        )
    if output_dir.exists() and not (output_dir / MARKER).exists() and any(output_dir.iterdir()):
        raise SitegenError.at(
            output_dir,
            None,
            "refusing to replace a folder that sitegen did not create",
            "empty it, delete it, or choose another output folder",
        )


class Staging:
    """The next site, written file by file beside the output; `commit` swaps it in whole.

    Used as a context manager: leaving the block without `commit` (an error, Ctrl-C) removes it."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir.resolve()
        self.folder = self.output_dir.parent / _prefix(self.output_dir, "new")  # made on entering
        self.written: set[str] = set()
        self._folders: set[Path] = set()
        self._committed = False

    def __enter__(self) -> Staging:
        """Make and mark the folder; stopped while doing so (Ctrl-C, `kill`), it removes it."""
        self.output_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.output_dir)
        self.folder = Path(tempfile.mkdtemp(prefix=self.folder.name, dir=self.output_dir.parent))
        try:
            self.write(MARKER, b"This folder is written by sitegen build; it is replaced on each build.\n")
        except BaseException:
            _remove(self.folder)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._committed:
            _remove(self.folder)

    def write(self, relative: str, data: bytes) -> None:
        target = safe_target(self.folder, relative)
        if target.parent not in self._folders:  # one mkdir per folder, not one per file
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        target.write_bytes(data)
        self.written.add(relative)

    def write_all(self, files: Mapping[str, bytes]) -> None:
        for relative, data in files.items():
            self.write(relative, data)

    def commit(self) -> None:
        """Put the staging folder where the output is; the previous site is removed."""
        os.chmod(self.folder, 0o755)  # mkdtemp makes it private; a site is for reading
        if not self.output_dir.exists():
            os.replace(self.folder, self.output_dir)
            self._committed = True
            return
        old = Path(tempfile.mkdtemp(prefix=_prefix(self.output_dir, "old"), dir=self.output_dir.parent))
        os.replace(self.output_dir, old)  # (an empty folder is replaced by a rename)
        try:
            os.replace(self.folder, self.output_dir)
        except BaseException:
            os.replace(old, self.output_dir)
            raise
        self._committed = True
        _remove(old)


def publish(files: Mapping[str, bytes], output_dir: Path) -> None:
    """Write `files` as the whole site at `output_dir`, atomically."""
    with Staging(output_dir) as staging:
        staging.write_all(files)
        staging.commit()


def safe_target(root: Path, relative: str) -> Path:
    """`root / relative`, refusing any path that could leave `root`."""
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("..", "") for p in parts):
        raise SitegenError.at(
            None,
            None,
            f"refusing to write outside the output folder: '{relative}'",
            "this is a bug in a template or slug; please report it",
        )
    return root.joinpath(*parts)


def remove_leftovers(output_dir: Path) -> None:
    """Clear what a killed build left beside the output: a staging folder is removed; a previous
    site set aside is put back when the output is missing, else removed. Only folders sitegen
    made (by their name and marker) whose build no longer runs are touched."""
    output_dir = output_dir.resolve()
    if not output_dir.parent.is_dir():
        return
    for folder in sorted(output_dir.parent.glob(f".{output_dir.name}.*")):
        stage = _leftover(folder, output_dir)
        if stage == "old" and not output_dir.exists():
            os.replace(folder, output_dir)
        elif stage is not None:
            _remove(folder)


def _leftover(folder: Path, output_dir: Path) -> str | None:
    """The kind of leftover: "new" or "old" for a staging folder or a set-aside site of a build
    that no longer runs, "spare" for the previous site sitegen 0.1 kept beside the output, else
    None (not sitegen's to touch)."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    marked = (folder / MARKER).is_file()
    rest = folder.name.removeprefix(f".{output_dir.name}.")
    if rest == "spare":
        return "spare" if marked else None
    named = re.fullmatch(r"(new|old)-(\d+)-\w+", rest)
    if named is None or _running(int(named[2])):
        return None
    if not any(folder.iterdir()):  # a build killed just after it made the folder
        return "new"
    return named[1] if marked else None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier process's, whose id this one got
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def _remove(folder: Path) -> None:
    """Remove a folder sitegen made, its marker last: a removal stopped half-way (Ctrl-C) leaves
    a folder still marked as sitegen's, which the next build finishes removing."""
    for entry in folder.iterdir():
        if entry.name == MARKER:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)


def _prefix(output_dir: Path, stage: str) -> str:
    """Folder names carry the building process's id, so a build never clears another's work."""
    return f".{output_dir.name}.{stage}-{os.getpid()}-"


def count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def published_topics(output_dir: Path) -> dict[str, list[str]] | None:
    """Each paper's topics in the published papers.json (None: no site yet, or not sitegen's)."""
    try:
        return {p["id"]: p.get("topics") or [] for p in json.loads((output_dir / "papers.json").read_bytes())}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
