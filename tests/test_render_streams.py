"""The chunked minutes writers (used for files) give exactly the documents the string writers give."""

from __future__ import annotations

import pytest

from gavel.render.formats import MINUTES_FORMATS
from gavel.render.minutes import MINUTES_STREAMS, MINUTES_WRITERS
from gavel.render.minutes_text import line_chunks
from render_support import fixture_view, view_of


def test_the_writers_are_the_minutes_formats() -> None:
    assert tuple(MINUTES_STREAMS) == tuple(MINUTES_WRITERS) == MINUTES_FORMATS


@pytest.mark.parametrize("extension", sorted(MINUTES_WRITERS))
def test_streams_match_strings(extension: str) -> None:
    for view in (fixture_view(), view_of([("a", "#startmeeting"), ("a", "#startvote ok? yes, no"), ("a", "#endvote")])):
        assert "".join(MINUTES_STREAMS[extension](view)) == MINUTES_WRITERS[extension](view)


@pytest.mark.parametrize("size", [1, 2, 3, 128])
@pytest.mark.parametrize(
    "lines", [[], [""], ["", ""], ["a"], ["a", ""], ["", "a", "", ""], ["a\nb", "c", "", "d", "e", "f", "g"]]
)
def test_line_chunks_join_like_one_join(lines: list[str], size: int) -> None:
    chunks = list(line_chunks(lines, size))
    assert "".join(chunks) == "\n".join(lines)
    assert "" not in chunks
