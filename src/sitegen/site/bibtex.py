"""BibTeX entries for the papers, with only the fields the listings actually tell.

The listings give a title, an abstract, a date, an organisation and a count of authors — not the
authors' names — so an entry is a `@misc` that says so in its note rather than inventing
authors. Text is escaped for LaTeX, so a `%`, `&` or `{` in a title cannot break a reader's
bibliography; the title is double-braced so BibTeX styles keep its capitals.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import AssignedPaper
from .urls import Urls

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _LATEX_SPECIAL))


def latex_escape(text: str) -> str:
    return _SPECIAL.sub(lambda m: _LATEX_SPECIAL[m.group()], " ".join(text.split()))


def bibtex_key(paper: AssignedPaper) -> str:
    """The paper's slug (unique, ASCII, stable across builds) with its year, as citation keys go."""
    year = paper.paper.date.year if paper.paper.date else "nd"
    return f"{paper.slug[:48].rstrip('-')}-{year}"


def bibtex_entry(paper: AssignedPaper, urls: Urls) -> str:
    p = paper.paper
    fields: list[tuple[str, str]] = [("title", "{" + latex_escape(p.title) + "}")]
    if p.date:
        fields += [("year", str(p.date.year)), ("month", MONTHS[p.date.month - 1])]
    if p.organization:
        fields.append(("organization", latex_escape(p.organization)))
    notes = []
    if p.authors_count is not None:
        notes.append(f"{p.authors_count} author{'s' if p.authors_count != 1 else ''} (names not listed)")
    if p.upvotes is not None:
        notes.append(f"{p.upvotes} upvotes on Hugging Face Daily Papers")
    if notes:
        fields.append(("note", latex_escape("; ".join(notes))))
    url = next((u for label, u in paper.links if "arxiv" in label.lower()), None)
    url = url or (paper.links[0][1] if paper.links else None)
    if url is None and urls.has_host:
        url = urls.absolute(urls.paper(paper.slug))
    if url:
        fields.append(("url", _url_field(url)))
    if p.abstract:
        fields.append(("abstract", latex_escape(p.abstract)))
    body = ",\n".join(f"  {name} = {_wrap(name, value)}" for name, value in fields)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def bibtex_file(papers: Sequence[AssignedPaper], urls: Urls) -> bytes:
    return "\n".join(bibtex_entry(p, urls) for p in sorted(papers, key=lambda p: p.slug)).encode("utf-8")


def _wrap(name: str, value: str) -> str:
    return value if name == "month" else "{" + value + "}"


def _url_field(url: str) -> str:
    # URLs keep their characters (\url reads them verbatim), but braces and spaces cannot stay.
    return url.replace("{", "%7B").replace("}", "%7D").replace(" ", "%20").replace("\\", "%5C")
