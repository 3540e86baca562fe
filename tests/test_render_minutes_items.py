"""The minutes' HTML item lists, written in Python (gavel.render.minutes_items), against their reference: the
macros in templates/minutes_items.html, rendered by Jinja with the template's own escaping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape as template_escape

from gavel.render.minutes_items import CHUNK_ITEMS, action_items, escape, summary_items
from gavel.render.templating import environment
from gavel.render.view import ItemView

# Text with what the escaping and the links care about: HTML specials, quotes, URLs, unicode.
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["https://x.org/a?b=1&c=<2>", "javascript:x", "ftp://", "&amp;", '"', "'", "<b>", " ", "é"]),
        st.text(max_size=6),
    ),
    max_size=6,
).map("".join)
_KINDS = st.sampled_from(["info", "action", "link", "topic", "idea", "agreed", "vote", "x\"<&>'"])


@st.composite
def item_views(draw: st.DrawFn) -> ItemView:
    kind = draw(_KINDS)
    line = draw(st.integers(min_value=1, max_value=10**6))
    return ItemView(
        kind=kind,
        label=draw(st.sampled_from(["", kind.upper(), "A&B<'\">"])),
        text=draw(_TEXT),
        nick=draw(st.one_of(st.sampled_from(["bob", "ünï", "a<b>&'\""]), st.text(max_size=5))),
        time=datetime(2016, 3, 16, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 10**8))),
        line=line,
        topic=None,
        href=draw(st.sampled_from(["log.log.html", "a%20b.log.html", "x\"&<>'.html", *"&<>\"'"])) + f"#l-{line}",
        corrected_from=draw(st.none() | _TEXT),
    )


def _item(line: int) -> ItemView:
    time = datetime(2016, 3, 16, tzinfo=UTC)
    return ItemView("info", "", f"said {line}", "bob", time, line, None, f"log.log.html#l-{line}")


def _reference(macro: str, items: list[ItemView]) -> str:
    module = environment().get_template("minutes_items.html").module
    return "\n".join(str(getattr(module, macro)(item)) for item in items)


@settings(max_examples=300, deadline=None)
@given(st.lists(item_views(), max_size=5))
def test_summary_items_are_the_reference_markup(items: list[ItemView]) -> None:
    assert "\n".join(summary_items(items)) == _reference("summary_item", items)


@settings(max_examples=200, deadline=None)
@given(st.lists(item_views(), max_size=4), st.lists(item_views(), max_size=4))
def test_summary_items_sharing_what_they_escaped(first: list[ItemView], second: list[ItemView]) -> None:
    """The HTML minutes pass one ``escaped`` dict to every topic's ``summary_items``: what one topic escaped is
    right for the next."""
    escaped: dict[str, str] = {}
    assert "\n".join(summary_items(first, escaped)) == _reference("summary_item", first)
    assert "\n".join(summary_items(second, escaped)) == _reference("summary_item", second)


@settings(max_examples=200, deadline=None)
@given(st.lists(item_views(), max_size=5))
def test_action_items_are_the_reference_markup(items: list[ItemView]) -> None:
    assert "\n".join(action_items(items)) == _reference("action_item", items)


def test_item_lists_come_in_chunks() -> None:
    items = [_item(line) for line in range(1, 2 * CHUNK_ITEMS + 2)]
    chunks = list(summary_items(items))
    assert [chunk.count("<li") for chunk in chunks] == [CHUNK_ITEMS, CHUNK_ITEMS, 1]
    assert "\n".join(chunks) == _reference("summary_item", items)
    assert list(action_items([])) == []


@given(st.text())
def test_escape_is_the_template_s_escaping(text: str) -> None:
    assert escape(text) == str(template_escape(text))
