"""User-facing problems: one error type that names file and line, and a warnings collector.

Every stage raises `SitegenError` for structural problems (the build stops before anything is
written) and records per-record problems in `Diagnostics` (the build goes on, and the warnings
are printed once, with counts).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One problem in one place: `path:line: message — hint`."""

    path: Path | str | None
    line: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        hint = f" — {self.hint}" if self.hint else ""
        return f"{where}{self.message}{hint}"


class SitegenError(Exception):
    """Invalid input: the CLI prints every problem and exits 1, leaving the output untouched."""

    def __init__(self, *problems: Problem) -> None:
        if not problems:
            raise ValueError("SitegenError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: Path | str | None, line: int | None, message: str, hint: str = "") -> SitegenError:
        return cls(Problem(path, line, message, hint))


@dataclass
class Diagnostics:
    """Collects warnings so each is printed once, and can turn them into errors (`--strict`)."""

    warnings: list[Problem] = field(default_factory=list)

    def warn(self, path: Path | str | None, line: int | None, message: str, hint: str = "") -> None:
        problem = Problem(path, line, message, hint)
        if problem not in self.warnings:
            self.warnings.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            if problem not in self.warnings:
                self.warnings.append(problem)

    def summary(self, limit: int | None = None) -> str:
        """One line per warning (the first `limit`), then counts by file so a long list stays readable."""
        shown = self.warnings if limit is None else self.warnings[:limit]
        lines = [f"warning: {p}" for p in shown]
        if len(shown) < len(self.warnings):
            lines.append(f"… and {len(self.warnings) - len(shown)} more (sitegen check lists them all)")
        if len(self.warnings) > 1:
            per_file = Counter(str(p.path) for p in self.warnings)
            counts = ", ".join(f"{n} in {name}" for name, n in sorted(per_file.items()))
            lines.append(f"{len(self.warnings)} warnings ({counts})")
        return "\n".join(lines)


def counted(n: int, plural: str) -> str:
    """ "1 listing", "2 listings": a count in a message, in the number it needs. `plural` is the
    plural noun; a word that does not change ("unsorted", "off-topic") stays as it is."""
    return f"{n} {plural[:-1] if n == 1 and plural.endswith('s') else plural}"
