"""`.sitegen-cache/` beside site.yaml: results that are slow to make and depend only on content.

Three results earn a place (docs/internals.md has the figures): the papers' text statistics,
their related papers and the Lunr search index. None changes when an editor edits the taxonomy or
a template, which is what editors do between most builds. Each entry is keyed by a hash of
everything it was made from plus sitegen's version, so a changed input or a new sitegen never
reuses a stale entry; one that cannot be read back is made again. The cache is never needed for
a correct build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from . import __version__

CACHE_FOLDER = ".sitegen-cache"
T = TypeVar("T")


class Cache:
    """Values kept between builds, one per name; `Cache(None)` keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits: list[str] = []  # names of the values this build reused, for the summary

    @classmethod
    def beside(cls, site_root: Path) -> Cache:
        return cls(site_root / CACHE_FOLDER)

    def remembered(self, name: str, inputs: Any, make: Callable[[], T]) -> T:
        """`make()`'s value, or the one an earlier build kept for the same `inputs` (JSON-able)."""
        value = self.lookup(name, inputs)
        if value is None:
            value = make()
            self.keep(name, inputs, value)
        return value  # type: ignore[no-any-return]

    def lookup(self, name: str, inputs: Any) -> Any:
        """The value kept for `inputs`, or None."""
        path = self._path(name, inputs)
        if path is None:
            return None
        try:
            value = pickle.loads(path.read_bytes())
        except Exception:  # missing, damaged or from another Python: made again
            return None
        self.hits.append(name)
        return value

    def keep(self, name: str, inputs: Any, value: Any) -> None:
        """Keep `value` for `inputs` (by rename, so never half-written), dropping the entry kept
        before under `name`. A read-only or full disk only costs the next build some time."""
        path = self._path(name, inputs)
        if path is None:
            return
        try:
            path.parent.mkdir(exist_ok=True)
            (path.parent / ".gitignore").write_text("*\n")
            handle, temp = tempfile.mkstemp(prefix=f".{name}-", dir=path.parent)
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)
        except OSError:
            return
        for old in path.parent.glob(f"{name}-*.pickle"):
            if old != path and len(old.name) == len(path.name):
                with contextlib.suppress(OSError):
                    old.unlink()

    def _path(self, name: str, inputs: Any) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{name}-{digest([__version__, name, inputs])[:40]}.pickle"


def digest(inputs: Any) -> str:
    """A hash of JSON-able `inputs`: a short stand-in for large ones used in several keys."""
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()
