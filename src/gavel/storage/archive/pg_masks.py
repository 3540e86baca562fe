"""Which lines of each block of ids a PostgreSQL search may find: the lists (``line_posting_lists``) hold every line
stored, of every meeting, while a search finds only those of the meetings in its scope (not the restricted ones,
for most), inside its dates, and not deleted since (see ``postgres.py``: ``PostgresArchive._masks``)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gavel.storage.archive.pg_postings import BLOCK_BITS, BLOCK_MASK
from gavel.storage.archive.search import Matching

BLOCK_SIZE = 1 << BLOCK_BITS
Span = tuple[int, int, bool, bool, bool]
"""A span of line ids (``line_spans``): its first and last id, whether its meeting is in the search's scope, whether
its lines are all inside the search's dates, all outside them."""
Ranges = list[tuple[int, int]]
"""Offsets in a block, as half-open ranges ``[low, high)``."""
_RANGE = re.compile(r"[\[(](\d+),(\d+)[\])]")


@dataclass(frozen=True, slots=True)
class Masks:
    """The blocks listed (ascending), the offsets kept in each (``int4multirange`` literals), the offsets in each
    whose line's time is checked against the search's dates (None: none), and whether the blocks not listed are kept
    whole (else they are left out)."""

    blocks: list[int]
    keeps: list[str]
    checks: list[str] | None
    others_kept: bool

    def filter(self, matching: Matching) -> tuple[str, list[Any]]:
        """The SQL of a walked row's lines kept (``found``, the keys of block ``f.block``, ascending, of length
        ``f.text_length`` or of any length), and its parameters: those of a block not listed are all kept or none;
        of a listed one, those in its kept ranges, and those in its checked ranges whose line is inside the dates (a
        look-up by id).

        In a list of one length, a range's lines are a slice of ``found``, its ends found by binary search
        (``width_bucket``): a block holds the lines of many meetings, and a series' are a few ranges of it, so only
        the lines kept are read (with each line checked against the ranges, a series' common word read 80,000
        lines). A list of any length is short (:data:`pg_postings.SPLIT_LINES`): each line is checked."""
        at = "array_position((SELECT ?::bigint[]), f.block)"
        ranges = f"(SELECT ?::text[]::int4multirange[])[{at}]"
        kept, kept_params = ranges, [self.keeps, self.blocks]
        if self.checks is not None:
            kept, kept_params = f"{kept} + {ranges}", [*kept_params, self.checks, self.blocks]
        shift = f"(f.text_length::integer << {BLOCK_BITS})"
        # (in order: a multirange's ranges come in order; a slice detoasts the list once, an element each time)
        sliced = (
            f"ARRAY(SELECT unnest(found[width_bucket({shift} + lower(r) - 1, found) + 1:"  # noqa: S608
            f"width_bucket({shift} + upper(r) - 1, found)]) FROM unnest({kept}) AS r)"
        )
        each = f"ARRAY(SELECT n FROM unnest(found) AS n WHERE {kept} @> (n & {BLOCK_MASK}))"  # noqa: S608
        filtered = f"CASE WHEN f.text_length < 0 THEN {each} ELSE {sliced} END"
        params: list[Any] = [*kept_params, *kept_params]
        if self.checks is not None:
            times = ["l.time >= ?"] * (matching.since is not None) + ["l.time < ?"] * (matching.until is not None)
            filtered = (
                f"ARRAY(SELECT n FROM unnest({filtered}) AS n WHERE NOT {ranges} @> (n & {BLOCK_MASK}) OR (SELECT "  # noqa: S608
                f"{' AND '.join(times)} FROM log_lines l WHERE l.id = (f.block << {BLOCK_BITS}) + (n & {BLOCK_MASK})))"
            )
            params = [
                *params,
                self.checks,
                self.blocks,
                *(b for b in (matching.since, matching.until) if b is not None),
            ]
        others = "found" if self.others_kept else "'{}'::integer[]"
        return f"CASE WHEN {at} IS NULL THEN {others} ELSE {filtered} END", [self.blocks, *params]


def masks_of(spans: Sequence[Span], dead: dict[int, str], dated: bool) -> Masks | None:
    """The masks of a search from the spans of line ids (in order; none given when all are in scope) and each block's
    dead lines (``int4multirange`` literals); ``dated``, whether it has a date filter. None when every line stored
    may be found.

    Without a date filter and with most spans in scope (most searches: only restricted meetings are out), the blocks
    listed are those with lines out of scope or dead, what they keep the rest, and the others are kept whole; else (a
    series, dates) the blocks listed are those with lines of spans in scope and not outside the dates, and the
    others are left out (with the dead lines, which no span holds)."""
    if not dated and 2 * sum(span[2] for span in spans) >= len(spans):  # (no spans: only the dead lines are out)
        holes: defaultdict[int, Ranges] = defaultdict(list)
        for block, text in dead.items():
            holes[block] += [(int(low), int(high)) for low, high in _RANGE.findall(text)]
        for first, last, in_scope, _inside, _outside in spans:
            if not in_scope:
                for block, low, high in _pieces(first, last):
                    holes[block].append((low, high))
        if not holes:
            return None
        blocks = sorted(holes)
        return Masks(blocks, [_literal(_complement(holes[block])) for block in blocks], None, True)
    keeps: defaultdict[int, Ranges] = defaultdict(list)
    checks: defaultdict[int, Ranges] = defaultdict(list)
    for first, last, in_scope, inside, outside in spans:
        if in_scope and not outside:
            for block, low, high in _pieces(first, last):
                (keeps if inside else checks)[block].append((low, high))
    blocks = sorted(keeps.keys() | checks.keys())
    return Masks(
        blocks,
        [_literal(keeps.get(block, [])) for block in blocks],
        [_literal(checks.get(block, [])) for block in blocks] if checks else None,
        False,
    )


def _pieces(first: int, last: int) -> Iterable[tuple[int, int, int]]:
    """The ids ``first`` .. ``last`` as ``(block, low, high)``: offsets ``[low, high)`` in each block."""
    for block in range(first >> BLOCK_BITS, (last >> BLOCK_BITS) + 1):
        base = block << BLOCK_BITS
        yield block, max(first, base) - base, min(last, base + BLOCK_MASK) - base + 1


def _complement(ranges: Ranges) -> Ranges:
    """The offsets of a block outside ``ranges``."""
    out: Ranges = []
    at = 0
    for low, high in sorted(ranges):
        if low > at:
            out.append((at, low))
        at = max(at, high)
    if at < BLOCK_SIZE:
        out.append((at, BLOCK_SIZE))
    return out


def _literal(ranges: Ranges) -> str:
    """An ``int4multirange`` literal (PostgreSQL merges ranges that touch or overlap)."""
    return "{" + ",".join(f"[{low},{high})" for low, high in ranges) + "}"
