"""PostgreSQL's postings of log lines, made by the writer and sent with ``COPY`` (see ``postgres.py``).

A log line has a posting for each distinct token of its text and each distinct pair of tokens next to each other
(``the patch``: the two tokens with a space between, which no token holds), as a phrase is matched on the line's
``tsvector``. Every log line has an id (``log_lines.id``, from a sequence, given to each batch the writer stores as a
run of consecutive ids: the order lines were stored in, the rank order among lines of the same length). Postings are
grouped into *lists* by (token, text length, block of 32,768 ids, part): the offsets of its lines in the block, in an
``integer[]`` (ascending). A part is what one batch wrote into a block, until the block is compacted into one part;
every token's lists of a (block, part) cover the same lines, so the lines holding two tokens are the intersection of
their lists of the same (length, block, part), and the rank order (length, then newest first) is the lists' order
(length, block and part descending), each read backwards. A list's size does not depend on its meetings': a common
word's lists are long however short the meetings are.

:func:`line_keys` is the fast path of :func:`reference_keys`, the pairs as PostgreSQL's ``tsvector`` positions give
them (a test holds both equal, and equal to the server's own reading of the ``tsvector``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise

from gavel.storage.archive.spool import LineRow

COPY_POSTINGS = "COPY line_posting_lists (token, text_length, block, part, offsets) FROM STDIN"
"""The statement :func:`posting_lists` writes for."""
BLOCK_BITS = 15
"""A log line's id (``log_lines.id``) is its block (``id >> BLOCK_BITS``) and its offset in the block."""
BLOCK_MASK = (1 << BLOCK_BITS) - 1
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


def posting_lists(first_id: int, rows: Sequence[LineRow]) -> str:
    """The postings of a batch of log lines, whose ids are ``first_id`` on in the rows' order, as the data of
    :data:`COPY_POSTINGS`: a row per (token or pair, length, block of ids), with the lines' offsets in the block in
    order, its part the batch's (:func:`part_of`). The nicks' postings are made by the server
    (:data:`postgres._FILL_NICKS`: its ``lower`` is the filter's)."""
    by_length: dict[tuple[int, int], defaultdict[str, list[int]]] = {}  # (a dict per length and block)
    for line_id, (_number, _when, _kind, _nick, _text, found, size) in enumerate(rows, first_id):
        block, offset = line_id >> BLOCK_BITS, line_id & BLOCK_MASK
        lists = by_length.get((size, block))
        if lists is None:
            lists = by_length[size, block] = defaultdict(list)
        for key in line_keys(found):
            lists[key].append(offset)
    out: list[str] = []
    for (size, block), lists in by_length.items():
        tail = f"\t{size}\t{block}\t{part_of(first_id, block)}\t{{"
        out += [
            f"{key}{tail}{offsets[0]}}}\n" if len(offsets) == 1 else f"{key}{tail}{','.join(map(str, offsets))}}}\n"
            for key, offsets in lists.items()
        ]
    return "".join(out)


def part_of(first_id: int, block: int) -> int:
    """The part of a block a batch whose first line's id is ``first_id`` writes: that id, or the block's first when
    the batch began in an earlier block. Every list of a batch in a block has the same part, and a later batch's
    is greater; a block's compacted lists have the block's first id (:data:`postgres._COMPACT`)."""
    return max(first_id, block << BLOCK_BITS)
