"""PostgreSQL's postings of log lines, made by the writer and sent with ``COPY`` (see ``postgres.py``).

A log line has a posting for each distinct token of its text and each distinct pair of tokens next to each other
(``the patch``: the two tokens with a space between, which no token holds), as a phrase is matched on the line's
``tsvector``. Every log line has an id (``log_lines.id``, from a sequence, given to each batch the writer stores as a
run of consecutive ids: the order lines were stored in, the rank order among lines of the same length). Postings are
grouped into *lists* per (token, block of 32,768 ids, part): a part is what one batch wrote into a block, until the
block is compacted into one part. A list's elements are its lines' **keys**, ``text_length << 15 | offset`` (the
line's offset in the block), ascending: the same line has the same key in every list, so the lines holding two tokens
are the intersection of their lists of the same (block, part), and a list in key order is in rank order (length, then
newest first) read backwards per length. A token with at least :data:`SPLIT_LINES` lines in a (block, part) has a
list per length there (``text_length`` its lines' length, so a common word's walk in rank order stops early); one
with fewer has one list (``text_length`` :data:`ANY_LENGTH`) holding all its lines there whatever their lengths (a
rare or medium word's lines are all read and ranked anyway: one list per block instead of one per length and block).
A list's size does not depend on its meetings': a common word's lists are long however short the meetings are.

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
SPLIT_LINES = 128
"""A token with this many lines in a (block, part) or more has a list per length there, else one of any length."""
ANY_LENGTH = -1
"""The ``text_length`` of a list of lines of any length (a token with fewer than :data:`SPLIT_LINES` there)."""
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
    :data:`COPY_POSTINGS`: a row per (token or pair, block of ids) with the keys of its lines there (ascending),
    split by length where it has :data:`SPLIT_LINES` or more, its part the batch's (:func:`part_of`). The nicks'
    postings are made by the server (:data:`postgres._FILL_NICKS`: its ``lower`` is the filter's)."""
    by_block: dict[int, defaultdict[str, list[int]]] = {}
    for line_id, (_number, _when, _kind, _nick, _text, found, size) in enumerate(rows, first_id):
        block = line_id >> BLOCK_BITS
        lists = by_block.get(block)
        if lists is None:
            lists = by_block[block] = defaultdict(list)
        key = size << BLOCK_BITS | (line_id & BLOCK_MASK)
        for token in line_keys(found):
            lists[token].append(key)
    out: list[str] = []
    split = SPLIT_LINES
    for block, lists in by_block.items():
        tail = f"\t{block}\t{part_of(first_id, block)}\t{{"
        for token, keys in lists.items():
            if len(keys) < split:
                keys.sort()
                out.append(f"{token}\t{ANY_LENGTH}{tail}{','.join(map(str, keys))}}}\n")
                continue
            by_length: defaultdict[int, list[int]] = defaultdict(list)
            for key in keys:
                by_length[key >> BLOCK_BITS].append(key)
            out += [f"{token}\t{size}{tail}{','.join(map(str, same))}}}\n" for size, same in by_length.items()]
    return "".join(out)


def key_sql(length: str, line_id: str) -> str:
    """The SQL of a line's key (as :func:`posting_lists` makes it) from the SQL of its length and of its id."""
    return f"({length}::integer << {BLOCK_BITS}) | ({line_id} & {BLOCK_MASK})::integer"


def part_of(first_id: int, block: int) -> int:
    """The part of a block a batch whose first line's id is ``first_id`` writes: that id, or the block's first when
    the batch began in an earlier block. Every list of a batch in a block has the same part, and a later batch's
    is greater; a block's compacted lists have the block's first id (:data:`postgres._COMPACT`)."""
    return max(first_id, block << BLOCK_BITS)
