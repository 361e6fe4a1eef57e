"""Fast phrase matching over a paper's words, shared by topic and kind rules.

A text is split once into lowercase word tokens; a phrase matches a run of consecutive tokens
or, for a multi-word phrase, the same words written as one ("fine-tuning", "fine tuning" and
"finetuning" are one phrase). A trailing '*' lets the last word have any ending. Looking
phrases up in a token index is far cheaper than running one regular expression per phrase
over every abstract.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

_WORD = re.compile(r"\w+")
_WORD_PIECES = re.compile(r"(\w+)")  # split by it: gap, word, gap, …, word, gap
TokenRun = tuple[int, int]  # the first and last token of an occurrence
# Read left to right, so an escaped backslash is one pair: an escape, a group with flags or a
# name (`(?-i:`, `(?P=name)`), or an uppercase letter.
_CASE_CLUES = re.compile(r"\\(.)|(\(\?(?![:=!]|<[=!])|[A-Z])", re.DOTALL)
_CASE_FREE_ESCAPES = frozenset("sSwWdDbB")  # \s, \w, \d, \b and their opposites know no case


@dataclass(frozen=True, eq=False)  # one instance per distinct phrase (`compile_phrase`): compared by identity
class Phrase:
    words: tuple[str, ...]
    wildcard: bool
    joined: str  # the words written as one: "finetuning"

    @functools.cached_property
    def keys(self) -> tuple[str, ...]:
        """What a text must hold (`TextIndex.keys`) for an exact phrase to occur in it: its word,
        or its first two words side by side or all its words written as one."""
        if len(self.words) == 1:
            return self.words
        return (f"{self.words[0]} {self.words[1]}", self.joined)


@cache
def compile_phrase(phrase: str) -> Phrase:
    """The phrase's words; spellings of the same words ("fine-tuning", "fine tuning") give the
    same instance, so sets of phrases drop such repeats and hash fast."""
    text = phrase.strip()
    return _phrase(tuple(_WORD.findall(text.lower())), text.endswith("*"))


@cache
def _phrase(words: tuple[str, ...], wildcard: bool) -> Phrase:
    return Phrase(words, wildcard, "".join(words))


@cache
def compile_pattern(pattern: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The pattern, and for a case-insensitive one its twin without `(?i)` to run on lowercased
    ASCII text: the same matches at the same places, twice as fast (Python's regex engine folds
    the case of every character it compares and cannot skip ahead to a pattern's first
    characters when case is ignored). No twin when the pattern could see case some other way
    (an uppercase letter, an escape such as \\x41, a scoped flag)."""
    regex = re.compile(pattern)
    if not pattern.startswith("(?i)"):
        return regex, None
    body = pattern[len("(?i)") :]
    return regex, None if _may_see_case(body) else re.compile(body)


def _may_see_case(body: str) -> bool:
    for clue in _CASE_CLUES.finditer(body):
        escaped = clue.group(1)
        if escaped is None or (escaped.isalnum() and escaped not in _CASE_FREE_ESCAPES):
            return True  # \1, \x41, \N{…}: a back-reference or a character that may be a capital
    return False


class TextIndex:
    """Lowercase tokens of one text with their character spans, indexed for phrase look-ups.

    Only the tokens are made up front (in C, by the regex engine): a `PhraseScanner` needs no
    more. The distinct words, word pairs and positions that `find` uses for one phrase at a time,
    and the spans of the words an occurrence is written with, are worked out on first use.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        self._pieces: list[str] | None = None
        if len(lowered) == len(text):  # one character for one: the words are the same words
            self._pieces = _WORD_PIECES.split(lowered)  # gaps and words in turn, all in C
            self.tokens: list[str] = self._pieces[1::2]
        else:  # "İ" lowers to two characters; lower each word as found instead
            self.tokens = [m.group(0).lower() for m in _WORD.finditer(text)]
        self.lowered = lowered if text.isascii() else None  # for `pattern_hits`: ASCII lowers exactly

    @functools.cached_property
    def words(self) -> frozenset[str]:
        return frozenset(self.tokens)

    @functools.cached_property
    def keys(self) -> frozenset[str]:
        """The words and every two side by side ("instruction tuning"): a phrase of several
        words whose first two are not among them cannot occur (see `Phrase.keys`)."""
        tokens = self.tokens
        return self.words.union(map("{} {}".format, tokens, tokens[1:]))

    def pattern_hits(self, pattern: str) -> list[str]:
        """Every match of a regular expression, as written in the text."""
        regex, lowercase_twin = compile_pattern(pattern)
        if lowercase_twin is not None and self.lowered is not None:
            return [self.text[m.start() : m.end()] for m in lowercase_twin.finditer(self.lowered)]
        return [m.group(0) for m in regex.finditer(self.text)]

    @functools.cached_property
    def positions(self) -> dict[str, list[int]]:
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(self.tokens):
            positions.setdefault(token, []).append(i)
        return positions

    @functools.cached_property
    def vocabulary(self) -> list[str]:
        return sorted(self.words)

    @functools.cached_property
    def bounds(self) -> list[int]:
        """Where each token starts and ends in the text: token k is `text[bounds[2k]:bounds[2k+1]]`.

        Summed from the lengths of the gaps and words the text was split into, in C: four
        times cheaper than asking the regex engine for every word's span."""
        if self._pieces is not None:
            return list(itertools.accumulate(map(len, self._pieces)))
        return [i for m in _WORD.finditer(self.text) for i in m.span()]

    def written(self, first: int, last: int) -> str:
        """Tokens `first` to `last` as written in the text."""
        bounds = self.bounds
        return self.text[bounds[2 * first] : bounds[2 * last + 1]]

    def _starts(self, word: str, prefix: bool) -> list[int]:
        if not prefix:
            return self.positions.get(word, [])
        out: list[int] = []
        i = bisect.bisect_left(self.vocabulary, word)
        while i < len(self.vocabulary) and self.vocabulary[i].startswith(word):
            out.extend(self.positions[self.vocabulary[i]])
            i += 1
        return sorted(out)

    def find(self, phrase: Phrase) -> list[str]:
        """Every occurrence of the phrase, as written in the text, in order."""
        words = phrase.words
        if not words:
            return []
        if not phrase.wildcard and self.keys.isdisjoint(phrase.keys):
            return []  # the common case, decided by one or two set look-ups
        runs: list[TokenRun] = []
        last = len(words) - 1
        for start in self._starts(words[0], phrase.wildcard and last == 0):
            end = start + last
            if end >= len(self.tokens):
                continue
            middle_ok = all(self.tokens[start + k] == words[k] for k in range(1, last))
            tail = self.tokens[end]
            tail_ok = last == 0 or (tail.startswith(words[last]) if phrase.wildcard else tail == words[last])
            if middle_ok and tail_ok:
                runs.append((start, end))
        if last > 0:  # the words written together: "finetuning"
            runs.extend((i, i) for i in self._starts(phrase.joined, phrase.wildcard))
        return [self.written(*run) for run in sorted(set(runs))]


class _Node:
    """A point in a phrase's words: the phrases that end here, and where the next word leads."""

    __slots__ = ("ends", "next", "tails")

    def __init__(self) -> None:
        self.ends: list[Phrase] = []  # exact phrases whose words are the path to this node
        self.tails: list[tuple[str, Phrase]] = []  # wildcard phrases: the next token starts with…
        self.next: dict[str, _Node] = {}


PREFIX_KEY = 3  # prefixes are bucketed by their first letters
_HEAD = operator.itemgetter(slice(0, PREFIX_KEY))


class PhraseScanner:
    """Many phrases looked for at once: one pass over a text's tokens finds every occurrence of
    every phrase, as `TextIndex.find` finds those of one.

    Phrases form a tree of words: a token that starts a phrase (or is one by itself, such as
    "lora" or "finetuning", several words written as one) leads into it, and the following
    tokens walk down; a trailing '*' makes the last step a prefix test. The tokens that start
    nothing — most of them — are passed over in C, so a taxonomy's few hundred phrases cost
    little more per abstract than one."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases: frozenset[Phrase] = frozenset(phrases)
        self._first: dict[str, _Node] = {}  # a phrase's first word, or all its words as one
        self._prefixes: dict[str, list[tuple[str, Phrase]]] = {}  # one-token prefixes, by `_HEAD`
        self._short_prefixes: list[tuple[str, Phrase]] = []  # shorter than `PREFIX_KEY`
        for phrase in sorted(self.phrases, key=lambda p: (p.words, p.wildcard)):
            self._add(phrase)

    def _add(self, phrase: Phrase) -> None:
        words = phrase.words
        if not words:
            return
        if len(words) > 1:
            node = self._first.setdefault(words[0], _Node())
            for word in words[1:-1]:
                node = node.next.setdefault(word, _Node())
            if phrase.wildcard:
                node.tails.append((words[-1], phrase))
            else:
                node.next.setdefault(words[-1], _Node()).ends.append(phrase)
        if not phrase.wildcard:
            self._first.setdefault(phrase.joined, _Node()).ends.append(phrase)
        elif len(phrase.joined) < PREFIX_KEY:
            self._short_prefixes.append((phrase.joined, phrase))
        else:
            self._prefixes.setdefault(_HEAD(phrase.joined), []).append((phrase.joined, phrase))

    def scan(self, tokens: Sequence[str]) -> dict[Phrase, list[TokenRun]]:
        """Every phrase that occurs → its occurrences, in the order of the text."""
        found: dict[Phrase, list[TokenRun]] = {}
        first, count = self._first, len(tokens)
        for i in itertools.compress(range(count), map(first.__contains__, tokens)):
            start = first[tokens[i]]
            for phrase in start.ends:
                found.setdefault(phrase, []).append((i, i))
            node: _Node | None = start
            j = i
            while node is not None and j + 1 < count:
                j += 1
                following = tokens[j]
                for prefix, phrase in node.tails:
                    if following.startswith(prefix):
                        found.setdefault(phrase, []).append((i, j))
                node = node.next.get(following)
                if node is not None:
                    for phrase in node.ends:
                        found.setdefault(phrase, []).append((i, j))
        if self._prefixes or self._short_prefixes:
            for phrase, runs in self._prefixed(tokens).items():
                # "instruction tun*" also occurs as "instructiontuned": keep the text's order
                found[phrase] = sorted(found[phrase] + runs) if phrase in found else runs
        return found

    def _prefixed(self, tokens: Sequence[str]) -> dict[Phrase, list[TokenRun]]:
        """The occurrences of wildcard phrases within one token."""
        found: dict[Phrase, list[TokenRun]] = {}
        prefixes = self._prefixes
        for i in itertools.compress(range(len(tokens)), map(prefixes.__contains__, map(_HEAD, tokens))):
            token = tokens[i]
            for prefix, phrase in prefixes[_HEAD(token)]:
                if token.startswith(prefix):
                    found.setdefault(phrase, []).append((i, i))
        for prefix, phrase in self._short_prefixes:
            for i, token in enumerate(tokens):
                if token.startswith(prefix):
                    found.setdefault(phrase, []).append((i, i))
        return found
