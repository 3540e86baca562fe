"""Search text -> safe full-text queries for both backends, and highlighted snippets.

What a person types is never passed to FTS5's or PostgreSQL's query syntax. It is reduced to
*terms*: each term is a run of words that must occur next to each other (one word, or a phrase),
optionally with a prefix match on its last word. Words become the index's tokens (:mod:`tokens`:
runs of letters and digits, folded), so a term can always be quoted safely; ``AND``, ``NEAR(``,
``-``, ``*`` or a lone ``"`` are just words or separators.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gavel.storage.archive.model import SnippetPart
from gavel.storage.archive.tokens import MAX_LENGTH, quote_lexeme, strip_marks, word_tokens

MAX_TERMS = 16
MIN_PREFIX = 3  # a shorter word* is matched as a whole word: FTS5 would merge the index entries of thousands of words
SNIPPET_CHARS = 240  # a longer text is cut to about this much around its first match
_WORD = re.compile(r"\w+")
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
    ``MIN_PREFIX`` characters makes it a prefix (after a shorter one it is ignored). Words become
    tokens as the index makes them (:mod:`tokens`: folded, identifiers split, whole form first);
    the last word of a prefix term gives only its parts (``getUs*`` is ``get`` then ``us*``).
    """
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    terms: list[Term] = []
    seen: set[Term] = set()
    for match in _CHUNK.finditer(text):
        chunk = strip_marks(match.group(1) if match.group(1) is not None else match.group(2))
        found = list(_WORD.finditer(chunk))
        if not found:
            continue
        end = found[-1].end()
        prefix = match.group(2) is not None and chunk[end : end + 1] == "*" and _prefix_long_enough(found[-1].group())
        term_words = [token for word in found[:-1] for token in word_tokens(word.group())]
        term_words += word_tokens(found[-1].group(), whole=not prefix)
        if not term_words:
            continue
        term = Term(tuple(term_words[:MAX_TERMS]), prefix and len(term_words) <= MAX_TERMS)
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return tuple(terms)


def _prefix_long_enough(word: str) -> bool:
    parts = word_tokens(word, whole=False)
    return bool(parts) and len(parts[-1]) >= MIN_PREFIX


def least_length(terms: tuple[Term, ...]) -> int:
    """The fewest tokens a text can have that matches every term (its length for ranking can be no less): each
    distinct word is a token of its own, and a phrase's words are that many tokens in a row."""
    if not terms:
        return 0
    distinct = {word for term in terms for word in term.words}
    return min(MAX_LENGTH, max(len(distinct), *(len(term.words) for term in terms)))


def fts5_query(terms: tuple[Term, ...], expanded: Mapping[Term, Sequence[str]] | None = None) -> str:
    """An SQLite FTS5 MATCH expression: every term as a quoted string (an implicit AND). A prefix term found in
    ``expanded`` becomes the phrases with each of the words its prefix stands for, joined by OR (then the terms
    are joined by an explicit AND, which FTS5 needs next to parentheses)."""
    if not expanded or not any(term in expanded for term in terms):
        return " ".join('"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in terms)
    parts = []
    for term in terms:
        words = expanded.get(term)
        if words is None:
            parts.append('"' + " ".join(term.words) + '"' + ("*" if term.prefix else ""))
        else:
            head = "".join(word + " " for word in term.words[:-1])
            parts.append("(" + " OR ".join(f'"{head}{word}"' for word in words) + ")")
    return " AND ".join(parts)


def tsquery(terms: tuple[Term, ...]) -> str:
    """A PostgreSQL ``tsquery`` literal (cast with ``::tsquery``, never parsed by a text search configuration):
    quoted lexemes, ``<->`` within a phrase, ``&`` between terms."""
    parts = []
    for term in terms:
        lexemes = [quote_lexeme(word) for word in term.words]
        if term.prefix:
            lexemes[-1] += ":*"
        parts.append("(" + " <-> ".join(lexemes) + ")")
    return " & ".join(parts)


def snippet(text: str, terms: tuple[Term, ...], width: int = SNIPPET_CHARS) -> tuple[SnippetPart, ...]:
    """``text`` as parts with the query's words highlighted (case-insensitively; prefixes too).

    A text longer than ``width`` is cut to a window around its first highlighted word, with "…"
    where it was cut.
    """
    exact = {word for term in terms for word in term.words}
    prefixes = tuple(term.words[-1] for term in terms if term.prefix)
    spans = [
        (m.start(), m.end())
        for m in _WORD.finditer(text)
        if any(token in exact or (prefixes and token.startswith(prefixes)) for token in word_tokens(m.group()))
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
