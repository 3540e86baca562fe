"""PostgreSQL's postings of log lines, made by the writer and sent with ``COPY`` (see ``postgres.py``).

A log line has a posting for each distinct token of its text and each distinct pair of tokens next to each other
(``the patch``: the two tokens with a space between, which no token holds), as a phrase is matched on the line's
``tsvector``. Postings are grouped into *lists*: one row per (token, text length, meeting, block), the block being
the first line number of the batch of lines the writer stored together, with the line numbers in an ``integer[]``
(ascending). All the postings of a line are in the same block, and a meeting's blocks are disjoint ranges of line
numbers in order, so the lines holding two tokens are the intersection of their lists of the same (length,
meeting, block), and the rank order (length, meeting and line newest first) is the lists' order, each read
backwards.

:func:`line_keys` is the fast path of :func:`reference_keys`, the pairs as PostgreSQL's ``tsvector`` positions give
them (a test holds both equal, and equal to the server's own reading of the ``tsvector``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from gavel.storage.archive.spool import LineRow

COPY_POSTINGS = "COPY line_posting_lists (token, text_length, meeting_id, block, numbers) FROM STDIN"
"""The statement :func:`posting_lists` writes for."""
MAX_POSITION = 16_383
"""PostgreSQL's last ``tsvector`` position: a token past it is taken to be there."""
MAX_POSITIONS = 256
"""PostgreSQL keeps at most this many positions of a lexeme (the first)."""


def line_keys(found: str) -> set[str]:
    """The tokens of a line (``found``, its tokens joined by spaces) and its pairs of adjacent tokens."""
    words = found.split()
    if len(words) > MAX_POSITIONS:  # (positions may be cut: see reference_keys)
        return reference_keys(words)
    keys = set(words)
    keys.update(map(" ".join, pairwise(words)))
    return keys


def reference_keys(words: Sequence[str]) -> set[str]:
    """:func:`line_keys` as the ``tsvector`` sees the line: the distinct tokens, and the pairs ``a b`` where a
    position of ``b`` is one past a position of ``a``, with positions past :data:`MAX_POSITION` taken as it and only
    the first :data:`MAX_POSITIONS` (distinct) positions of a token kept."""
    positions: dict[str, set[int]] = {}
    for index, word in enumerate(words, 1):
        positions.setdefault(word, set()).add(min(index, MAX_POSITION))
    kept = {word: set(sorted(found)[:MAX_POSITIONS]) for word, found in positions.items()}
    at: dict[int, list[str]] = {}
    for word, found in kept.items():
        for position in found:
            at.setdefault(position, []).append(word)
    keys = set(kept)
    for word, found in kept.items():
        for position in found:
            for after in at.get(position + 1, ()):
                keys.add(f"{word} {after}")
    return keys


def posting_lists(meeting_id: int, rows: Sequence[LineRow]) -> str:
    """The postings of a batch of log lines (one block: its first line's number) as the data of
    :data:`COPY_POSTINGS`: a row per (token or pair, length), with its lines' numbers in order. The nicks' postings
    are made by the server (:data:`postgres._FILL_NICKS`: its ``lower`` is the filter's)."""
    if not rows:
        return ""
    if any(later[0] <= earlier[0] for earlier, later in pairwise(rows)):
        rows = sorted(rows)
    by_length: dict[int, defaultdict[str, list[int]]] = {}  # (a dict per length: no key tuple per posting)
    for number, _when, _kind, _nick, _text, found, size in rows:
        lists = by_length.get(size)
        if lists is None:
            lists = by_length[size] = defaultdict(list)
        for key in line_keys(found):
            lists[key].append(number)
    out: list[str] = []
    for size, lists in by_length.items():
        tail = f"\t{size}\t{meeting_id}\t{rows[0][0]}\t{{"
        out += [
            f"{key}{tail}{numbers[0]}}}\n" if len(numbers) == 1 else f"{key}{tail}{','.join(map(str, numbers))}}}\n"
            for key, numbers in lists.items()
        ]
    return "".join(out)
