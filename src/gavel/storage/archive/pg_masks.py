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
        """The SQL of a walked row's lines (``found``, the offsets of block ``f.block``) kept, and its parameters:
        those of a block not listed are all kept or none; of a listed one, those in its kept ranges (a binary
        search in a multirange), or in its checked ranges whose line is inside the dates (a look-up by id)."""
        at = "array_position((SELECT ?::bigint[]), f.block)"
        kept = f"(SELECT ?::text[]::int4multirange[])[{at}] @> n"
        params: list[Any] = [self.keeps, self.blocks]
        if self.checks is not None:
            bounds = [bound for bound in (matching.since, matching.until) if bound is not None]
            times = ["l.time >= ?"] * (matching.since is not None) + ["l.time < ?"] * (matching.until is not None)
            kept += (
                f" OR (SELECT ?::text[]::int4multirange[])[{at}] @> n AND (SELECT {' AND '.join(times)} "  # noqa: S608
                f"FROM log_lines l WHERE l.id = (f.block << {BLOCK_BITS}) + n)"
            )
            params += [self.checks, self.blocks, *bounds]
        others = "found" if self.others_kept else "'{}'::integer[]"
        return (
            f"CASE WHEN {at} IS NULL THEN {others} ELSE ARRAY(SELECT n FROM unnest(found) AS n WHERE {kept}) END",  # noqa: S608
            [self.blocks, *params],
        )
