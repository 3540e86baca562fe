"""Which lines of each block of ids a PostgreSQL search may find: the lists (``line_posting_lists``) hold every line
stored, of every meeting, while a search finds only those of the meetings in its scope (not the restricted ones,
for most), inside its dates, and not deleted since (see ``postgres.py``: ``PostgresArchive._masks``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gavel.storage.archive.pg_postings import BLOCK_BITS
from gavel.storage.archive.search import Matching

WHOLE_BLOCK = f"'{{[0,{1 << BLOCK_BITS})}}'::int4multirange"
"""Every offset of a block."""


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
        """The SQL of a walked row's lines (``found``, the offsets of block ``f.block``, ascending) kept, and its
        parameters: those of a block not listed are all kept or none; of a listed one, those in its kept ranges,
        and those in its checked ranges whose line is inside the dates (a look-up by id).

        A range's lines are a slice of ``found``, its ends found by binary search (``width_bucket``): a block holds
        the lines of many meetings, and a series' are a few ranges of it, so only the lines kept are read (with each
        line checked against the ranges, a series' common word read 80,000 lines)."""
        at = "array_position((SELECT ?::bigint[]), f.block)"
        ranges = "(SELECT ?::text[]::int4multirange[])[{at}]"
        params: list[Any] = [self.keeps, self.blocks]
        kept = ranges.format(at=at)
        if self.checks is not None:
            kept = f"{kept} + {ranges.format(at=at)}"
            params += [self.checks, self.blocks]
        sliced = (
            f"ARRAY(SELECT found[i] FROM unnest({kept}) AS r, generate_series(width_bucket(lower(r) - 1, found) + 1, "  # noqa: S608
            "width_bucket(upper(r) - 1, found)) AS i)"
        )  # (in order: a multirange's ranges come in order)
        if self.checks is not None:
            times = ["l.time >= ?"] * (matching.since is not None) + ["l.time < ?"] * (matching.until is not None)
            sliced = (
                f"ARRAY(SELECT n FROM unnest({sliced}) AS n WHERE NOT {ranges.format(at=at)} @> n OR (SELECT "  # noqa: S608
                f"{' AND '.join(times)} FROM log_lines l WHERE l.id = (f.block << {BLOCK_BITS}) + n))"
            )
            params = [
                *params,
                self.checks,
                self.blocks,
                *(b for b in (matching.since, matching.until) if b is not None),
            ]
        others = "found" if self.others_kept else "'{}'::integer[]"
        return f"CASE WHEN {at} IS NULL THEN {others} ELSE {sliced} END", [self.blocks, *params]
