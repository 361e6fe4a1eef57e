"""Stage 7: publish the rendered files atomically.

Everything is written into a fresh folder beside the output and swapped in only when complete,
so a failed or interrupted build leaves the previous site exactly as it was. On Linux the swap is
one atomic exchange of the two folders (renameat2); elsewhere it is two renames, and a build
killed between them is repaired by the next build before it does anything else.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path, PurePosixPath

from .errors import SitegenError

MARKER = ".sitegen-output"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def check_output_dir(output_dir: Path, protected: list[Path]) -> None:
    """Refuse an output folder that would clobber the project or anything sitegen did not make."""
    output_dir = output_dir.resolve()
    home = Path.home().resolve()
    dangerous = {Path("/"), home, *(p.resolve() for p in protected)}
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


def _safe_target(root: Path, relative: str) -> Path:
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or any(p in ("..", "") for p in parts):
        raise SitegenError.at(
            None,
            None,
            f"refusing to write outside the output folder: '{relative}'",
            "this is a bug in a template or slug; please report it",
        )
    return root.joinpath(*parts)


def _staging_prefix(output_dir: Path, stage: str) -> str:
    return f".{output_dir.name}.{stage}-"


def recover_interrupted(output_dir: Path, keep: Collection[Path] = ()) -> None:
    """Undo what a killed build left beside the output: restore a swapped-out site, drop temp folders.

    Only folders with sitegen's own prefix and marker are touched; a swapped-out site is put
    back only when the output is missing.
    """
    output_dir = output_dir.resolve()
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for stage in ("old", "new", "scratch"):
        for leftover in sorted(parent.glob(_staging_prefix(output_dir, stage) + "*")):
            if leftover in keep or leftover.is_symlink() or not (leftover / MARKER).is_file():
                continue
            if stage == "old" and not output_dir.exists():
                os.replace(leftover, output_dir)
            else:
                shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def scratch_beside(output_dir: Path) -> Iterator[Path]:
    """A temporary folder beside the output, on its disk, so what is made there can be moved into
    the site at no cost (`publish(folders=...)`); removed afterwards, and by the next build if this
    one is killed (it is marked as sitegen's own)."""
    output_dir = output_dir.resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    recover_interrupted(output_dir)
    folder = _temp_folder(output_dir, "scratch")
    try:
        _mark(folder)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _temp_folder(output_dir: Path, stage: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=_staging_prefix(output_dir, stage), dir=output_dir.parent))


def _mark(folder: Path) -> None:
    # The marker goes first, so a killed build's leftovers are recognisably sitegen's own.
    (folder / MARKER).write_text("This folder is written by sitegen build; it is replaced on each build.\n")


def publish(files: Mapping[str, bytes], output_dir: Path, folders: Mapping[str, Path] | None = None) -> None:
    """Write `files` into a temp folder beside `output_dir`, move `folders` (made beside it, by
    `scratch_beside`) in under their relative paths, then swap it into place."""
    output_dir = output_dir.resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    recover_interrupted(output_dir, keep={f.parent.resolve() for f in (folders or {}).values()})
    staging = _temp_folder(output_dir, "new")
    try:
        _mark(staging)
        made = {str(staging)}
        for relative, data in files.items():
            target = str(_safe_target(staging, relative))
            folder = os.path.dirname(target)
            if folder not in made:  # one mkdir per folder, not one per file
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(target, "wb") as out:
                out.write(data)
        for relative, folder in (folders or {}).items():
            target = str(_safe_target(staging, relative))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.move(folder, target)  # a rename: both sit beside the output
        os.chmod(staging, 0o755)
        _swap(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(staging: Path, output_dir: Path) -> None:
    """Put `staging` at `output_dir`; afterwards `staging` holds the previous site (or nothing)."""
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return
    if _exchange(staging, output_dir):
        return
    old = Path(tempfile.mkdtemp(prefix=_staging_prefix(output_dir, "old"), dir=output_dir.parent))
    old.rmdir()
    os.replace(output_dir, old)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(old, output_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders with Linux's renameat2(RENAME_EXCHANGE); False if unavailable."""
    renameat2 = _libc_renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    if sys.platform != "linux":
        return None
    try:
        renameat2 = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc, or a libc older than glibc 2.28
        return None
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2
