"""Search text -> safe full-text queries for both backends, and highlighted snippets.

What a person types is never passed to FTS5's or PostgreSQL's query syntax. It is reduced to
*terms*: each term is a run of words that must occur next to each other (one word, or a phrase),
optionally with a prefix match on its last word. Words are runs of letters and digits, so a term
can always be quoted safely; ``AND``, ``NEAR(``, ``-``, ``*`` or a lone ``"`` are just words or
separators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
