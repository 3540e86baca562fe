"""The SQL of a PostgreSQL search's walk over the postings of log lines (``line_posting_lists``, see ``postgres.py``
and :mod:`pg_postings`): the statement reading, in rank order, how many lines of each list match and which.

One word's lists (the first of the search: a word, a pair of a phrase, or the tokens of a prefix merged) lead the
walk in rank order, its lists of any length (:data:`pg_postings.ANY_LENGTH`) first; each other word's lists of the
same block and part that may hold the same lines (of the same length, or of any length) are intersected with it
(``gavel_and``: the same line has the same key in every list), as are the nick's. A phrase is its pairs of words (of
more than two, the lines holding each pair are checked against the phrase on their ``tsv``). The lines found are
then kept or left out by block (:mod:`pg_masks`: the meetings in scope, the dates, the dead lines); a line is read
only for a phrase's check and for a date filter in a span that has lines on both sides of a bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from gavel.storage.archive.pg_masks import Masks
from gavel.storage.archive.pg_postings import ANY_LENGTH, BLOCK_BITS, BLOCK_MASK
from gavel.storage.archive.query import least_length, tsquery
from gavel.storage.archive.search import Matching

NICK_MARK = "@"
"""A line's nick is a posting of its own, this mark then the nick lower-cased: no word token holds it (tokens are
letters and digits)."""
RANK = "text_length, block DESC, part DESC"
LENGTHS = "{0}text_length >= -1 AND ({0}text_length < 0 OR {0}text_length >= ?)"
"""A walk's lists: of any length, and of a length the search's terms fit in (shorter texts cannot hold them)."""
RANK_ORDER = f"ORDER BY {RANK} OFFSET 0"
MERGE_SETTINGS = (
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_hashagg', 'off', true), "
    "set_config('enable_memoize', 'off', true)"
)
"""The planner settings of a walk led by a prefix's tokens (for its transaction): their lists are merged in rank order
and the walk stops early, where a sort or a hash would read every list first (the lists of ``tes*`` were gathered in
a hash and sorted: 70 ms, against 14 merged in order). (Not for every walk: without sorts the planner made a line's
check on its ``tsv`` a merge join with the meeting's every line.)"""


@dataclass
class Terms:
    """What a search's walk intersects: tokens (SQL of each, with its parameters: a word, a pair of a phrase, the
    nick) and prefixes (the stored tokens each stands for)."""

    exact: list[tuple[str, list[Any]]] = field(default_factory=list)
    prefixes: list[list[str]] = field(default_factory=list)


def walk_terms(matching: Matching, prefix_tokens: Callable[[str], list[str] | None]) -> Terms | None:
    """The tokens and prefixes of a search (``prefix_tokens``: the stored tokens a prefix stands for, None when too
    many); None when the lists cannot answer (a phrase ending in a prefix, a prefix of too many tokens). A prefix
    that stands for no stored token leaves an empty list in :attr:`Terms.prefixes` (nothing matches)."""
    terms = Terms()
    for term in matching.terms:
        if term.prefix:
            if len(term.words) > 1:
                return None
            stored = prefix_tokens(term.words[0])
            if stored is None:
                return None
            terms.prefixes.append(stored)
        else:
            pairs = [f"{first} {second}" for first, second in pairwise(term.words)]
            terms.exact += [("?", [token]) for token in pairs or term.words]
    terms.exact = list({params[0]: (sql, params) for sql, params in terms.exact}.values())
    if matching.query.nick is not None:
        terms.exact.append(("? || lower(?)", [NICK_MARK, matching.query.nick]))
    return terms


def walk_statement(matching: Matching, terms: Terms, masks: Masks | None, wanted: int) -> tuple[str, list[Any]]:
    """The statement reading the lists of the lines matching in rank order, as rows ``(length, block, lines,
    offsets)``: how many lines of that length, block and part match, and their offsets (ascending) while the lists
    before hold fewer than ``wanted`` lines (else NULL); and its parameters. ``terms`` has a token or a prefix
    (each prefix with a token at least); ``masks``, the lines each block keeps (None: all)."""
    exact, prefixes = list(terms.exact), list(terms.prefixes)
    scope: list[str] = []
    scope_params: list[Any] = []
    if masks is not None and not masks.others_kept:  # (only the blocks listed have lines to find)
        # (a filter of the rows read in rank order, not an index condition: with one, the planner may read the
        # lists' BRIN index by block, which returned every row of the table for a series over all blocks, 370 ms)
        scope, scope_params = ["block + 0 = ANY(?::bigint[])"], [masks.blocks]
    least = least_length(matching.terms)
    params: list[Any] = []
    if exact:
        sql, token_params = exact.pop(0)
        driver = "line_posting_lists p0"
        where = [f"p0.token = {sql}", LENGTHS.format("p0."), *(f"p0.{cond}" for cond in scope)]
        params += [*token_params, least, *scope_params]
    else:
        tokens = prefixes.pop(0)
        branch = (  # (each token's lists in rank order, merged: without its ORDER BY the planner sorts them all)
            "(SELECT text_length, block, part, offsets FROM line_posting_lists WHERE token = ? "  # noqa: S608
            "AND " + LENGTHS.format("") + "".join(f" AND {cond}" for cond in scope) + f" {RANK_ORDER})"
        )
        driver = (
            "(SELECT u.text_length, u.block, u.part, gavel_union_agg(u.offsets) AS offsets FROM ("  # noqa: S608
            + " UNION ALL ".join([branch] * len(tokens))
            + ") u GROUP BY u.text_length, u.block, u.part ORDER BY u.text_length, u.block DESC, u.part DESC) p0"
        )
        for token in tokens:
            params += [token, least, *scope_params]
        where = []
    joins: list[str] = []
    found = "p0.offsets"
    # (the lists of another word that may hold a found line: of any length, and of the found lines' lengths)
    same = (
        "q.block = p0.block AND q.part = p0.part AND q.text_length = ANY(CASE WHEN p0.text_length < 0 THEN "  # noqa: S608
        f"ARRAY(SELECT DISTINCT (n >> {BLOCK_BITS})::smallint FROM unnest(p0.offsets) AS n) "
        f"|| ({ANY_LENGTH})::smallint ELSE ARRAY[{ANY_LENGTH}, p0.text_length]::smallint[] END)"
    )
    join_params: list[Any] = []
    for index, (sql, token_params) in enumerate([*exact, *(("ANY(?)", [tokens]) for tokens in prefixes)], 1):
        name = f"p{index}"
        joins.append(
            f"JOIN LATERAL (SELECT gavel_union_agg(q.offsets) AS offsets FROM line_posting_lists q "  # noqa: S608
            f"WHERE q.token = {sql} AND {same}) {name} ON {name}.offsets IS NOT NULL"
        )
        join_params += token_params
        found = f"gavel_and({found}, {name}.offsets)"
    # (in the statement's order: a table's conditions after the joins, a prefix's subquery before them)
    params = [*join_params, *params] if where else [*params, *join_params]
    inner = (
        f"SELECT p0.text_length, p0.block, p0.part, {found} AS found FROM {driver} "  # noqa: S608
        f"{' '.join(joins)} {'WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY p0.text_length, p0.block DESC, p0.part DESC OFFSET 0"
    )  # (each level in rank order, and apart: OFFSET 0 keeps the intersections from being made twice)
    filtered, outer_params = "found", list[Any]()
    if masks is not None:
        filtered, outer_params = masks.filter(matching)
    longer = tuple(term for term in matching.terms if len(term.words) > 2)
    # (a line is checked by a scalar subquery, a look-up by its id: the planner made a semi-join of an EXISTS,
    # which read every line; unnest keeps the offsets' order)
    if longer:  # a phrase of three words or more: its pairs may be apart, the line's positions tell
        filtered = (
            f"ARRAY(SELECT n FROM unnest({filtered}) AS n WHERE (SELECT l.tsv @@ ?::tsquery "  # noqa: S608
            f"FROM log_lines l WHERE l.id = (f.block << {BLOCK_BITS}) + (n & {BLOCK_MASK})))"
        )
        outer_params.append(tsquery(longer))
    # (a list of any length holds lines of every rank: its lines are all sent; those of a length only while the
    # lines of a length before them are fewer than wanted; every list's, for a prefix leading: see postgres._walk)
    sent = "true" if not terms.exact else "text_length < 0 OR upto - lines < ?"
    statement = (
        f"SELECT text_length, block, part, lines, CASE WHEN {sent} THEN found END FROM ("  # noqa: S608
        f"SELECT *, sum(lines) FILTER (WHERE text_length >= 0) OVER (ORDER BY {RANK} ROWS UNBOUNDED PRECEDING) "
        "AS upto FROM (SELECT text_length, block, part, found, cardinality(found) AS lines FROM ("
        f"SELECT f.text_length, f.block, f.part, {filtered} AS found FROM ({inner}) f {RANK_ORDER}) g "
        f"WHERE cardinality(found) > 0 {RANK_ORDER}) h) w"
    )
    return statement, [*([wanted] if terms.exact else []), *outer_params, *params]  # (in the statement's order)
