"""BM25 over search candidates, computed here from their text, so that both backends rank alike.

The text is tokenized as the index tokenizes it (:func:`tokens.tokens`): a term's frequency is the number of times
its words occur one after another in the text's tokens, a text's length its number of tokens.
"""

from __future__ import annotations

import math

from gavel.storage.archive.query import Term
from gavel.storage.archive.tokens import tokens

BM25_K1 = 1.2  # the constants of FTS5's bm25()
BM25_B = 0.75

Candidate = tuple[int, int, int, int, str]
"""A search candidate: ``(src, id, meeting_id, line, text)``, ``src`` 0 for a log line, 1 for a minutes item."""
Ranked = tuple[float, int, int, int, int]
"""A ranked hit: ``(score, src, id, meeting_id, line)``."""


def idf(matches: float, documents: int) -> float:
    """A term's weight from how many of the ``documents`` it occurs in (bm25()'s, never below a millionth)."""
    return max(1e-6, math.log((documents - matches + 0.5) / (matches + 0.5)))


def term_frequencies(text: str, terms: tuple[Term, ...]) -> tuple[int, list[int]]:
    """The number of tokens in ``text`` and how often each term occurs in them."""
    found = tokens(text)
    return len(found), [occurrences(found, term.words, term.prefix) for term in terms]


def rank(candidates: list[Candidate], terms: tuple[Term, ...], weights: list[float]) -> list[Ranked]:
    """The candidates scored with Okapi BM25 (k1 1.2, b 0.75, as FTS5's bm25()), best first.

    ``weights`` are the terms' idf; lengths are compared with the candidates' average length. Ties:
    the most recently stored first (larger meeting id, then line), a log line before the item
    recorded from it.
    """
    if not candidates:
        return []
    measured = [term_frequencies(candidate[4], terms) for candidate in candidates]
    average = sum(length for length, _counts in measured) / len(measured) or 1.0
    base = BM25_K1 * (1 - BM25_B)
    per_word = BM25_K1 * BM25_B / average
    gains = [weight * (BM25_K1 + 1) for weight in weights]
    keyed: list[tuple[float, int, int, int, int]] = []
    for (src, item, meeting_id, line, _text), (length, counts) in zip(candidates, measured, strict=True):
        norm = base + per_word * length
        score = sum(gain * count / (count + norm) for count, gain in zip(counts, gains, strict=True) if count)
        keyed.append((score, meeting_id, line, -src, -item))
    keyed.sort(reverse=True)
    return [(score, -src, -item, meeting_id, line) for score, meeting_id, line, src, item in keyed]


def occurrences(found: list[str], words: tuple[str, ...], prefix: bool) -> int:
    """How often ``words`` occur one after another in ``found`` (the last one as a prefix when ``prefix``)."""
    size = len(words)
    if size == 1 and not prefix:
        return found.count(words[0])
    last = size - 1
    head = list(words[:last])
    return sum(
        1
        for start in range(len(found) - last)
        if found[start : start + last] == head
        and (found[start + last].startswith(words[last]) if prefix else found[start + last] == words[last])
    )
