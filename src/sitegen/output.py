"""Stage 7: publish the rendered files atomically.

Everything is written into a fresh folder beside the output and swapped in only when complete,
so a failed or interrupted build leaves the previous site exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from .errors import SitegenError

MARKER = ".sitegen-output"


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


def publish(files: Mapping[str, bytes], output_dir: Path) -> None:
    """Write `files` into a temp folder beside `output_dir`, then swap it into place."""
    output_dir = output_dir.resolve()
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.new-", dir=output_dir.parent))
    try:
        for relative, data in files.items():
            target = _safe_target(staging, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MARKER).write_text(
            "This folder is written by sitegen build; it is replaced on each build.\n"
        )
        os.chmod(staging, 0o755)
        _swap(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, output_dir: Path) -> None:
    if not output_dir.exists():
        os.replace(staging, output_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{output_dir.name}.old-", dir=output_dir.parent))
    old.rmdir()
    os.replace(output_dir, old)
    try:
        os.replace(staging, output_dir)
    except BaseException:
        os.replace(old, output_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
