"""Text clean-up shared by parsing, de-duplication and slugs.

Titles copied from listings can hold inline LaTeX (`$\\neq$`) and odd spacing; two copies of one
paper must compare equal, and the reader must see `≠`, not a garbled `$\\neq$`.
"""

from __future__ import annotations

import re
import unicodedata

# LaTeX commands seen in paper titles and abstracts, and what a reader expects to see.
LATEX_SYMBOLS = {
    "neq": "≠",
    "ne": "≠",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "approx": "≈",
    "sim": "∼",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "infty": "∞",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "leftrightarrow": "↔",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "cup": "∪",
    "cap": "∩",
    "sum": "∑",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "theta": "θ",
    "lambda": "λ",
    "mu": "μ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Delta": "Δ",
    "Sigma": "Σ",
    "Omega": "Ω",
    "ell": "ℓ",
    "star": "⋆",
    "circ": "∘",
    "checkmark": "✓",
    "%": "%",
    "&": "&",
    "$": "$",
    "_": "_",
    "#": "#",
}
_INLINE_MATH = re.compile(r"\$([^$\n]{1,60})\$")
_COMMAND = re.compile(r"\\([A-Za-z]+|[%&$_#])\s?")
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]")


def latex_to_text(text: str) -> str:
    """Turn short inline math such as `$\\neq$` into Unicode; leave anything unknown as written.

    Only a `$…$` span that holds a backslash command is touched, so prices like "$100K" stay.
    """

    def replace_span(match: re.Match[str]) -> str:
        body = match.group(1)
        if "\\" not in body:
            return match.group(0)
        converted = _COMMAND.sub(lambda m: LATEX_SYMBOLS.get(m.group(1), m.group(0)), body)
        if "\\" in converted:  # an unknown command: showing it as written beats guessing
            return match.group(0)
        return converted.replace("{", "").replace("}", "").strip()

    return _INLINE_MATH.sub(replace_span, text)


def clean_text(text: str) -> str:
    """Unicode NFC, single spaces, no control characters: what a reader should see."""
    text = unicodedata.normalize("NFC", text)
    # str.split() splits on exactly the characters \s matches, runs of them at once, and drops
    # them at both ends: as `\s+` → " " and strip() would, at a third of the cost on long lines.
    return " ".join(_INVISIBLE.sub(" ", text).split())


def fold_ascii(text: str) -> str:
    """Strip accents and anything non-ASCII: 'Çé' → 'Ce'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def title_key(title: str) -> str:
    """The identity of a paper across listings: case, accents, punctuation and spacing ignored."""
    folded = fold_ascii(latex_to_text(title)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", folded))
