"""PostgreSQL's masks (``pg_masks.masks_of``): which offsets of each block of line ids a search keeps, from the spans
of ids (their meetings in scope or not, inside the dates, outside or neither) and the blocks' dead lines."""

from __future__ import annotations

from gavel.storage.archive.pg_masks import BLOCK_SIZE, Masks, masks_of

END = BLOCK_SIZE - 1  # the last offset of a block


def test_every_span_in_scope_and_no_dead_line_keeps_everything() -> None:
    assert masks_of([(0, 99, True, True, False), (100, 40_000, True, True, False)], {}, dated=False) is None


def test_most_in_scope_lists_the_blocks_with_lines_out() -> None:
    spans = [
        (0, 9, True, True, False),
        (10, BLOCK_SIZE + 4, False, True, False),
        (BLOCK_SIZE + 5, 3 * BLOCK_SIZE, True, True, False),
    ]
    # (a span out of scope across a block's end: both blocks lose its lines; the third block is kept whole)
    assert masks_of(
        [*spans, (3 * BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 9, True, True, False)], {2: "{[5,7)}"}, dated=False
    ) == Masks([0, 1, 2], ["{[0,10)}", f"{{[5,{BLOCK_SIZE})}}", f"{{[0,5),[7,{BLOCK_SIZE})}}"], None, True)


def test_only_dead_lines_are_left_out_when_no_span_is_given() -> None:
    assert masks_of([], {0: "{[3,5),[9,10)}"}, dated=False) == Masks(
        [0], [f"{{[0,3),[5,9),[10,{BLOCK_SIZE})}}"], None, True
    )


def test_dates_keep_the_spans_inside_and_check_those_across_a_bound() -> None:
    spans = [
        (0, 9, True, True, False),  # inside
        (10, 19, True, False, True),  # outside: left out
        (20, 29, True, False, False),  # across a bound: checked
        (30, 39, False, True, False),  # out of scope
    ]
    assert masks_of(spans, {}, dated=True) == Masks([0], ["{[0,10)}"], ["{[20,30)}"], False)


def test_a_narrow_scope_lists_the_blocks_with_lines_in_it() -> None:
    spans = [
        (0, 9, False, True, False),
        (10, 19, True, True, False),
        (BLOCK_SIZE, BLOCK_SIZE + END, False, True, False),
        (2 * BLOCK_SIZE, 2 * BLOCK_SIZE + 3, False, True, False),
    ]
    # (the dead lines are in no span: the blocks not listed are left out, and so are they)
    assert masks_of(spans, {0: "{[20,22)}"}, dated=False) == Masks([0], ["{[10,20)}"], None, False)
