"""How hits are ranked: every hit holds all the words of the search, so they are ranked by length, shortest first.

That is BM25 (k1 1.2, b 0.75) with each word counted once per text: when every hit holds every term, the terms'
weights add up to the same sum for all of them and only the length normalization orders them. Counting each word
once keeps the order a property of the text alone (its number of tokens), which both backends store in their index,
so the best hits among all the matches are read first, in order, however many there are. Among texts of the same
length the most recently stored comes first (log lines by their id: SQLite's is the meeting's id then the line's
number, PostgreSQL's the order they were stored in; items by id), a log line before an item. The backends rank
alike but for a meeting stored again: PostgreSQL then holds its lines for the newest.
"""

from __future__ import annotations

BM25_K1 = 1.2
BM25_B = 0.75
AVERAGE_LENGTH = 12.0  # tokens: a nominal line length, the "average document length" of BM25's normalization

Ordered = tuple[int, int, int, int, int]
"""A hit in rank order: ``(length, src, id, meeting_id, line)``, ``src`` 0 for a log line (``id`` its PostgreSQL id,
0 in SQLite), 1 for an item."""


def score(length: int) -> float:
    """The score of a text of ``length`` tokens (higher is better; BM25's term factor for one occurrence)."""
    return (BM25_K1 + 1) / (1 + BM25_K1 * (1 - BM25_B + BM25_B * length / AVERAGE_LENGTH))


def order_key(hit: Ordered) -> tuple[int, int, int, int, int]:
    """The rank order: shortest first, then the most recently stored (a log line before an item)."""
    size, src, item, meeting_id, line = hit
    return (size, src, -item, -meeting_id, -line)
