"""Search text -> safe full-text queries for both backends, and highlighted snippets.

What a person types is never passed to FTS5's or PostgreSQL's query syntax. It is reduced to
*terms*: each term is a run of words that must occur next to each other (one word, or a phrase),
optionally with a prefix match on its last word. Words are runs of letters and digits, so a term
can always be quoted safely; ``AND``, ``NEAR(``, ``-``, ``*`` or a lone ``"`` are just words or
separators.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeVar

from gavel.storage.archive.model import SnippetPart

MAX_TERMS = 16
MAX_WORD = 64
MIN_PREFIX = 3  # a shorter word* is matched as a whole word: FTS5 would merge the index entries of thousands of words
SNIPPET_CHARS = 240  # a longer text is cut to about this much around its first match
_WORD = re.compile(r"[^\W_]+")
_CHUNK = re.compile(r'"([^"]*)"|([^\s"]+)')


@dataclass(frozen=True, slots=True)
class Term:
    """Words that must appear in this order, next to each other; ``prefix``: the last word may go on."""

    words: tuple[str, ...]
    prefix: bool = False


def parse_query(text: str) -> tuple[Term, ...]:
    """The terms of a search text (at most ``MAX_TERMS``; empty when it holds no letters or digits).

    ``"a b"`` in balanced quotes is a phrase; an unbalanced ``"`` is ignored; a bare chunk such as
    ``foo-bar`` or ``don't`` is a phrase of its words; a ``*`` right after a word of at least
    ``MIN_PREFIX`` characters makes it a prefix (after a shorter one it is ignored).
    """
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _CHUNK.finditer(text):
        chunk = match.group(1) if match.group(1) is not None else match.group(2)
        words = list(_WORD.finditer(chunk))
        if not words:
            continue
        end = words[-1].end()
        prefix = match.group(2) is not None and chunk[end : end + 1] == "*" and len(words[-1].group()) >= MIN_PREFIX
        term = Term(tuple(m.group()[:MAX_WORD] for m in words[:MAX_TERMS]), prefix)
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return tuple(terms)


def fts5_query(terms: tuple[Term, ...]) -> str:
    """An SQLite FTS5 MATCH expression: every term as a quoted string (an implicit AND)."""
    return " ".join('"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms)


def index_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the full-text index splits it (runs of letters and digits)."""
    return tuple(match.group() for match in _WORD.finditer(text))


def tsquery(terms: tuple[Term, ...]) -> str:
    """A PostgreSQL ``to_tsquery`` expression: quoted lexemes, ``<->`` within a phrase, ``&`` between terms."""
    parts = []
    for term in terms:
        lexemes = [f"'{word}'" for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def snippet(text: str, terms: tuple[Term, ...], width: int = SNIPPET_CHARS) -> tuple[SnippetPart, ...]:
    """``text`` as parts with the query's words highlighted (case-insensitively; prefixes too).

    A text longer than ``width`` is cut to a window around its first highlighted word, with "…"
    where it was cut.
    """
    exact = {word.casefold() for term in terms for word in term.words}
    prefixes = tuple(term.words[-1].casefold() for term in terms if term.prefix)
    spans = [
        (m.start(), m.end())
        for m in _WORD.finditer(text)
        if (folded := m.group().casefold()) in exact or (prefixes and folded.startswith(prefixes))
    ]
    start, end = 0, len(text)
    if end > width:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - width // 4, end - width))
        end = start + width
        if start > 0:  # do not start in the middle of a word
            space = text.find(" ", start, first if spans else end)
            if space != -1:
                start = space + 1
    parts: list[SnippetPart] = []
    if start > 0:
        parts.append(SnippetPart("…", False))
    position = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start > position:
            parts.append(SnippetPart(text[position:span_start], False))
        parts.append(SnippetPart(text[span_start:span_end], True))
        position = span_end
    if position < end:
        parts.append(SnippetPart(text[position:end], False))
    if end < len(text):
        parts.append(SnippetPart("…", False))
    return tuple(_merge(parts))


def _merge(parts: list[SnippetPart]) -> list[SnippetPart]:
    merged: list[SnippetPart] = []
    for part in parts:
        if merged and merged[-1].highlight == part.highlight:
            merged[-1] = SnippetPart(merged[-1].text + part.text, part.highlight)
        else:
            merged.append(part)
    return merged


# ---------------------------------------------------------------------------------------------- ranking

BM25_K1 = 1.2  # the constants of FTS5's bm25()
BM25_B = 0.75
# ASCII text is split by a byte table (~4x faster than the regular expression): letters (lower-cased) and digits
# stay, every other byte becomes a space.
_ASCII_WORDS = bytes(
    c if c >= 128 else (c | 0x20) if chr(c).isalpha() else c if chr(c).isdigit() else 0x20 for c in range(256)
)

T = TypeVar("T", str, bytes)
Candidate = tuple[int, int, int, int, str]
"""A search candidate: ``(src, id, meeting_id, line, text)``, ``src`` 0 for a log line, 1 for a minutes item."""
Ranked = tuple[float, int, int, int, int]
"""A ranked hit: ``(score, src, id, meeting_id, line)``."""


def idf(matches: float, documents: int) -> float:
    """A term's weight from how many of the ``documents`` it occurs in (bm25()'s, never below a millionth)."""
    return max(1e-6, math.log((documents - matches + 0.5) / (matches + 0.5)))


def term_frequencies(text: str, terms: tuple[Term, ...]) -> tuple[int, list[int]]:
    """The number of words in ``text`` and how often each term occurs in it (words split and folded as the index
    does, near enough: runs of letters and digits, lower-cased)."""
    return _Counter(terms).count(text)


def rank(candidates: list[Candidate], terms: tuple[Term, ...], weights: list[float]) -> list[Ranked]:
    """The candidates scored with Okapi BM25 (k1 1.2, b 0.75, as FTS5's bm25()), best first.

    ``weights`` are the terms' idf; lengths are compared with the candidates' average length. Ties:
    the most recently stored first (larger meeting id, then line), a log line before the item
    recorded from it.
    """
    if not candidates:
        return []
    counter = _Counter(terms)
    measured = [counter.count(candidate[4]) for candidate in candidates]
    average = sum(length for length, _counts in measured) / len(measured) or 1.0
    base = BM25_K1 * (1 - BM25_B)
    per_word = BM25_K1 * BM25_B / average
    keyed: list[tuple[float, int, int, int, int]] = []
    add = keyed.append
    if len(weights) == 1:
        weight = weights[0] * (BM25_K1 + 1)
        for (src, item, meeting_id, line, _text), (length, (count,)) in zip(candidates, measured, strict=True):
            add((weight * count / (count + base + per_word * length), meeting_id, line, -src, -item))
    else:
        gains = [weight * (BM25_K1 + 1) for weight in weights]
        for (src, item, meeting_id, line, _text), (length, counts) in zip(candidates, measured, strict=True):
            norm = base + per_word * length
            score = 0.0
            for count, gain in zip(counts, gains, strict=True):
                if count:
                    score += gain * count / (count + norm)
            add((score, meeting_id, line, -src, -item))
    keyed.sort(reverse=True)
    return [(score, -src, -item, meeting_id, line) for score, meeting_id, line, src, item in keyed]


class _Counter:
    """Counts the words of a text and the occurrences of each term in it.

    Fast path, on UTF-8 bytes: ASCII letters and digits stay (lower-cased), every other ASCII byte
    separates words, other characters stay in their word. That is the index's split for ASCII
    text. In other text a symbol (``—``, ``✓``) counts as a word and hides a term stuck to it: a
    text where some term is not found at all is counted again with ``_WORD`` (a term found at least
    once may still be undercounted; lengths are near enough).
    """

    def __init__(self, terms: tuple[Term, ...]) -> None:
        self.words = [(tuple(word.lower() for word in term.words), term.prefix) for term in terms]
        self.encoded = [(tuple(word.encode() for word in words), prefix) for words, prefix in self.words]
        self.single = len(terms) == 1 and len(terms[0].words) == 1 and not terms[0].prefix

    def count(self, text: str) -> tuple[int, list[int]]:
        folded = text.lower()
        tokens = folded.encode().translate(_ASCII_WORDS).split()
        if self.single:
            counts = [tokens.count(self.encoded[0][0][0])]
        else:
            counts = [_occurrences(tokens, words, prefix) for words, prefix in self.encoded]
        if all(counts) or folded.isascii():
            return len(tokens), counts
        words = _WORD.findall(folded)
        return len(words), [_occurrences(words, term, prefix) for term, prefix in self.words]


def _occurrences(tokens: list[T], words: tuple[T, ...], prefix: bool) -> int:
    """How often ``words`` occur one after another in ``tokens`` (the last one as a prefix when ``prefix``)."""
    first = words[0]
    if len(words) == 1:
        if not prefix:
            return tokens.count(first)
        return sum(1 for token in tokens if token.startswith(first))
    size = len(words)
    found = 0
    start = -1
    while True:
        try:
            start = tokens.index(first, start + 1)
        except ValueError:
            return found
        end = start + size
        if end <= len(tokens) and tokens[start + 1 : end - 1] == list(words[1:-1]):
            word = tokens[end - 1]
            if word.startswith(words[-1]) if prefix else word == words[-1]:
                found += 1
