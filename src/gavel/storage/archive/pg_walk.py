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

from collections.abc import Callable, Sequence
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


def rank(of: str = "") -> str:
    """The rank order of lists (of the table or subquery ``of``, with its dot): by length, then newest first."""
    return f"{of}text_length, {of}block DESC, {of}part DESC"


RANK = rank()
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


NO_MEMOIZE = "SELECT set_config('enable_memoize', 'off', true)"
"""A walk's planner setting (for its transaction): the planner cached each row's look-up of another word's lists by a
key holding the row's whole list, which no other row has (``patch`` in a series by a nick: 85 ms under ``EXPLAIN
ANALYZE``, 64 without)."""
SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
"""A read-only transaction's first statement: one snapshot for all its statements."""
WALK_SETTINGS = f"{SNAPSHOT}; {NO_MEMOIZE}"
"""The first statement of a walk's transaction: one snapshot for the masks (the spans read) and the walk (a meeting
stored again by another connection between the two was counted twice: its old lines, dead since, were live for the
masks), and :data:`NO_MEMOIZE`. Two statements, no parameters: one round trip."""
FIRST_FETCH = 16
"""The rows a walk's cursor reads first (see :func:`next_fetch`)."""


def next_fetch(walked: int, lines: int, last_rows: int, last_lines: int, limit: int) -> int:
    """How many rows a walk's cursor reads next, having read ``walked`` rows holding ``lines`` lines, the last
    ``last_rows`` of them ``last_lines``, to count ``limit``: half as many as the rows read so far say are left (at
    the last batch's rate of lines per row, or the whole walk's when higher), and at most as many again as were read
    (at least :data:`FIRST_FETCH`). The server makes every row a fetch asks for, needed or not: with sizes growing
    fourfold (16, 64, 256, 1,024), ``the patch`` made 1,360 rows for the 700 it read. The rate grows along a walk
    (longer lines hold more words), so the rows left are fewer than the rate so far says: half of them, then half of
    the rest, costs a round trip or two more (~0.2 ms each) and makes ~10% more rows than read, not 2x (the
    benchmark's walks, replayed: 13,400 rows made in 193 fetches against 18,700 in 149)."""
    ceiling = max(FIRST_FETCH, 2 * walked)
    per_row = max(last_lines / last_rows if last_rows else 0.0, lines / walked if walked else 0.0)
    if per_row <= 0 or lines >= limit:
        return ceiling
    return max(FIRST_FETCH, min(ceiling, int((limit - lines) / per_row / 2) + 8))


GAVEL_LENGTHS = (
    "CREATE OR REPLACE FUNCTION gavel_lengths (keys integer[]) RETURNS smallint[] LANGUAGE sql IMMUTABLE STRICT "  # noqa: S608
    f"PARALLEL SAFE AS $$ SELECT array_agg(DISTINCT (n >> {BLOCK_BITS})::smallint) FROM unnest(keys) AS n $$"
)
"""The lengths of a list's keys (a function, not a subquery: the walk's look-up of another word's lists of those
lengths is then an index condition; with a subquery it was a filter, and each look-up read all of that word's lists
of the block: ``the patch`` took 480 ms). Made by migration 11; the walk no longer calls it: its look-ups are now
a subquery per length (``OFFSET 0``) over the row's lengths, and the function's call cost ~60 us a row."""


def _other_lists(token: str, one: bool) -> str:
    """The SQL of the union of another word's (``token``: the SQL of its token, three times in it; ``one``: a single
    token, not a prefix's) lists that may hold the lines of the walked row ``p0``, NULL when none: of a row of one
    length, the word's list of that length or of any length in the same block and part (of a single token, only one
    of them is there: a token's lists of a part are of one kind); of a row of any length, the row's keys found in the
    word's lists of the row's keys' lengths and of any length (sorted; a key may come twice). Each an index look-up
    of every column (with the lengths in a condition ``= ANY``, the planner read all of the word's lists per row:
    ``the patch`` took 480 ms)."""
    lists = (
        f"SELECT {{found}} FROM line_posting_lists q WHERE q.token = {token} "  # noqa: S608
        "AND q.text_length = {length} AND q.block = p0.block AND q.part = p0.part"
    )
    union = "gavel_union_agg(q.offsets)"
    same, any_length = lists.format(found=union, length="p0.text_length"), lists.format(found=union, length=ANY_LENGTH)
    # (of a list of any length, only its keys of the row's length, NULL when none: the row is then left out before
    # its own list is read, as when a word has no list of that length; a common word's rows met a rarer word's
    # list of any length in most blocks, and reading each of their lists to intersect them doubled the walk)
    low, high = f"(p0.text_length::integer << {BLOCK_BITS}) - 1", f"((p0.text_length::integer + 1) << {BLOCK_BITS}) - 1"
    any_length = (
        f"SELECT NULLIF(u.o[width_bucket({low}, u.o) + 1:width_bucket({high}, u.o)], '{{}}') "  # noqa: S608
        f"FROM ({any_length}) AS u (o)"
    )
    if one:  # (the second looked up only when the first is not there)
        of_a_length = f"coalesce(({same}), ({any_length}))"
    else:
        of_a_length = f"(SELECT gavel_union_agg(v.offsets) FROM (VALUES (({same})), (({any_length}))) AS v (offsets))"  # noqa: S608
    # (of a row of any length, its keys in the word's list of each of its lengths, gathered: the row's list is
    # short, the word's may be long; gavel_union_agg of the word's lists called its SQL function once a list,
    # ~25 us each, and the union of a common word's lists of 11 lengths had ~4,000 keys to sort, 2 ms a row; a
    # prefix's tokens may share a line, which then comes twice: gavel_and with the row's list keeps it once)
    # (OFFSET 0: a look-up per length; flattened into the join, the word's lists of the block were read for each of
    # the row's lengths, ``kevote tebodi`` 10 ms against 1)
    each = lists.format(found="gavel_and(p0.offsets, q.offsets) AS o", length="k.length") + " OFFSET 0"
    return (
        "CASE WHEN p0.text_length < 0 THEN NULLIF(ARRAY(SELECT n "  # noqa: S608
        f"FROM (SELECT DISTINCT (e >> {BLOCK_BITS})::smallint FROM unnest(p0.offsets) AS e UNION ALL "
        f"SELECT ({ANY_LENGTH})::smallint) AS k (length), LATERAL ({each}) AS i, "
        f"unnest(i.o) AS n ORDER BY n), '{{}}') ELSE {of_a_length} END"
    )


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


TERM_LISTS = 512
"""A term's lists are counted up to this many to choose the one leading a walk (:func:`lists_counted`)."""


def lists_counted(terms: Terms) -> tuple[str, list[Any]]:
    """The statement counting each of ``terms``' tokens' lists (up to :data:`TERM_LISTS`; one row, a column per
    token, in order), and its parameters."""
    counts = [
        f"(SELECT count(*) FROM (SELECT FROM line_posting_lists WHERE token = {sql} LIMIT {TERM_LISTS}) c)"  # noqa: S608
        for sql, _params in terms.exact
    ]
    return "SELECT " + ", ".join(counts), [value for _sql, params in terms.exact for value in params]


def led_by_fewest(terms: Terms, counts: Sequence[int]) -> Terms:
    """``terms`` with the token of fewest lists (``counts``, in order) first, the others in their order: the walk
    reads the first token's lists and looks each other token's up per list (``the pokifou``: 2,213 lists of ``the``
    walked, each with a look-up of ``pokifou``'s, for 404 lines; led by ``pokifou``, 100 lists)."""
    order = sorted(range(len(terms.exact)), key=lambda index: counts[index])
    return Terms([terms.exact[index] for index in order], terms.prefixes)


def walk_statement(matching: Matching, terms: Terms, masks: Masks | None, wanted: int) -> tuple[str, list[Any]]:
    """The statement reading the lists of the lines matching in rank order, as rows ``(length, block, part, lines,
    keys)``: how many lines of that list (of that length, or of any length) match, and their keys (ascending): always
    for a list of any length and where a prefix leads, else while the lists of a length before hold fewer than
    ``wanted`` lines (else NULL); and its parameters. ``terms`` has a token or a prefix
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
            + f") u GROUP BY u.text_length, u.block, u.part ORDER BY {rank('u.')}) p0"
        )
        for token in tokens:
            params += [token, least, *scope_params]
        where = []
    joins: list[str] = []
    found = "p0.offsets"
    join_params: list[Any] = []
    others = [*((sql, token_params, True) for sql, token_params in exact)]
    others += [("ANY(?)", [tokens], False) for tokens in prefixes]
    for index, (sql, token_params, one) in enumerate(others, 1):
        name = f"p{index}"
        joins.append(  # (OFFSET 0: the subquery is run once per row, not once more for each use of its column)
            f"JOIN LATERAL (SELECT {_other_lists(sql, one)} AS offsets OFFSET 0) {name} ON {name}.offsets IS NOT NULL"
        )
        join_params += token_params * 3
        found = f"gavel_and({found}, {name}.offsets)"
    # (in the statement's order: a table's conditions after the joins, a prefix's subquery before them)
    params = [*join_params, *params] if where else [*params, *join_params]
    inner = (
        f"SELECT p0.text_length, p0.block, p0.part, {found} AS found FROM {driver} "  # noqa: S608
        f"{' '.join(joins)} {'WHERE ' + ' AND '.join(where) if where else ''} "
        f"ORDER BY {rank('p0.')} OFFSET 0"
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
