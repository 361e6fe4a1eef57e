"""A build cache in `.sitegen-cache/` beside site.yaml, for results that depend only on paper text.

Editors rebuild after every taxonomy tweak; the search index does not change then, and it is
the slowest thing a build makes. Each entry is keyed by a hash of everything it was made from
plus sitegen's version, so a changed input or a new sitegen never reuses a stale entry. An entry
that cannot be read back is made again; the cache is never needed for a correct build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__

CACHE_FOLDER = ".sitegen-cache"


class BuildCache:
    """JSON results keyed by a content hash; `BuildCache(None)` keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []

    @classmethod
    def beside(cls, site_root: Path) -> BuildCache:
        return cls(site_root / CACHE_FOLDER)

    def json_bytes(self, name: str, inputs: Any, make: Callable[[], bytes]) -> bytes:
        """The cached JSON for `inputs`, or `make()`'s, which is then kept for next time."""
        if self.folder is None:
            return make()
        key = hashlib.sha256(json.dumps([__version__, name, inputs], sort_keys=True).encode()).hexdigest()
        path = self.folder / f"{name}-{key[:40]}.json"
        cached = _read_valid_json(path)
        if cached is not None:
            self.hits.append(name)
            return cached
        data = make()
        self._store(name, path, data)
        return data

    def _store(self, name: str, path: Path, data: bytes) -> None:
        try:
            self.folder.mkdir(exist_ok=True)  # type: ignore[union-attr]
            (self.folder / ".gitignore").write_text("*\n")  # type: ignore[operator]
            handle, temp = tempfile.mkstemp(prefix=f".{name}-", dir=self.folder)
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except OSError:
            return  # a read-only or full disk only costs the next build some time
        for old in path.parent.glob(f"{name}-*.json"):
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()


def _read_valid_json(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
        json.loads(data)
    except (OSError, ValueError):
        return None
    return data
