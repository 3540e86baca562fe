"""The text and Markdown minutes' item entries, written out for the common item, against their plain references."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.render import minutes_md, minutes_text
from gavel.render.view import ItemView
from test_render_minutes_items import item_views

# A topic's timebox and time spent: either may be missing (then the entry shows no timebox).
_TIMEBOXES = st.tuples(st.none() | st.integers(0, 90), st.none() | st.floats(0, 200, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(item_views(), _TIMEBOXES)
def test_text_and_markdown_entries_are_their_references(
    item: ItemView, timebox: tuple[int | None, float | None]
) -> None:
    item = replace(item, timebox_minutes=timebox[0], minutes_spent=timebox[1])
    assert minutes_text._entry(item) == minutes_text._entry_reference(item)
    assert minutes_md._item(item) == minutes_md._item_reference(item)
