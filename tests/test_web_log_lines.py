"""The meeting page shows every log line as the ``.log.html`` file does, so the two cannot drift apart.

The file anchors a line's time stamp (``<a href="#l-N" id="l-N">``); the page wraps the whole line
(``<div class="ln" id="l-N"><a href="#l-N">``). Everything after that opening is the same, line for line.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from gavel.render.logs import nick_colour
from gavel.storage.archive import open_archive
from gavel.web.app import create_app
from gavel.web.logview import LINES_PER_CHUNK
from render_support import render_logs
from web_support import meeting_path, replay_text, store_text

DAY = date(2024, 7, 2)
HOSTILE_NICK = "x\"'&<y"
TRICKY = (
    "<alice> <script>alert(1)</script> & \"quotes\" 'too' &amp;",
    f"<{HOSTILE_NICK}> <img src=x onerror=alert(2)>",
    "<bob> see https://example.org/a?b=1&c=<2>. and javascript:alert(1)",
    "<bob> alice: look at https://x.org/(y)",
    "<alice> #topic <b>Security</b> review",
    '<alice> #info https://example.org/info?q="x"',
    "* carol waves <3 https://example.org/wave",
    "-!- carol is now known as carol_away",
    "<carol_away> Grüße 日本語 🎉",
    "-!- bob [~b@host] has quit [<b>bye</b>]",
)
# The tricky lines again and again, past the page's first chunk of lines (each nick's span is reused).
FILLER = 2 * LINES_PER_CHUNK // len(TRICKY) + 1
TEXT = (
    "15:00:00 <alice> #startmeeting tricky lines\n"
    + "".join(f"15:{1 + n // 60:02d}:{n % 60:02d} {TRICKY[n % len(TRICKY)]}\n" for n in range(FILLER * len(TRICKY)))
    + "16:00:00 [garbage] <i>raw</i>\n"
    + "16:00:01 <alice> #endmeeting\n"
)

FILE_LINE = re.compile(r'^<a href="#l-(\d+)" id="l-\1">(.*)$', re.MULTILINE)
PAGE_LINE = re.compile(r'^<div class="ln" id="l-(\d+)"><a href="#l-\1">(.*)</div>$', re.MULTILINE)


@pytest.fixture(scope="module")
def file_and_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The lines of the ``.log.html`` written by a replay, and of the meeting page, as (number, HTML) pairs."""
    _, logged = replay_text(TEXT, DAY, "#tricky")
    _, log_html = render_logs(logged)
    path: Path = tmp_path_factory.mktemp("log-lines") / "archive.db"
    with open_archive(f"sqlite://{path}") as archive:
        stored = store_text(archive, TEXT, DAY, "#tricky")
        response = TestClient(create_app(archive), raise_server_exceptions=True).get(meeting_path(stored))
    assert response.status_code == 200
    return FILE_LINE.findall(log_html), PAGE_LINE.findall(response.text)


def test_the_page_shows_each_line_as_the_log_file_does(
    file_and_page: tuple[list[tuple[str, str]], list[tuple[str, str]]],
) -> None:
    in_file, on_page = file_and_page
    assert len(in_file) == FILLER * len(TRICKY) + 3 > 2 * LINES_PER_CHUNK
    for file_line, page_line in zip(in_file, on_page, strict=True):
        assert page_line == file_line


def test_the_tricky_lines_are_rendered(file_and_page: tuple[list[tuple[str, str]], list[tuple[str, str]]]) -> None:
    """What both show (so the equality above is not of two empty or escaped-away renderings)."""
    lines = dict(file_and_page[1])
    assert all("<script" not in html and "<img" not in html and "<b>" not in html for html in lines.values())
    assert lines["1"].startswith('<span class="tm">15:00:00</span></a><span class="nk c')
    alice = f'<span class="nk c{nick_colour("alice")}"> &lt;alice&gt;</span> '
    assert lines["2"].endswith(f"{alice}&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"quotes\" 'too' &amp;amp;")
    assert f'<span class="nk c{nick_colour(HOSTILE_NICK)}"> &lt;x"\'&amp;&lt;y&gt;</span> &lt;img' in lines["3"]
    assert lines["4"].endswith(
        '<a href="https://example.org/a?b=1&amp;c=" rel="nofollow noopener">https://example.org/a?b=1&amp;c=</a>'
        "&lt;2&gt;. and javascript:alert(1)"
    )
    assert '<span class="hi">alice:</span> look at <a href="https://x.org/(y)"' in lines["5"]
    assert lines["6"].endswith(
        f'{alice}<span class="topic">#topic </span><span class="topicline">&lt;b&gt;Security&lt;/b&gt; review</span>'
    )
    assert '<span class="cmdline"><a href="https://example.org/info?q=" rel="nofollow noopener">' in lines["7"]
    assert lines["8"].endswith(
        f'<span class="nka c{nick_colour("carol")}"> * carol</span> <span class="ac">waves &lt;3 '
        '<a href="https://example.org/wave" rel="nofollow noopener">https://example.org/wave</a></span>'
    )
    assert lines["9"].endswith('<span class="sys"> -!- carol is now known as carol_away</span>')
    assert lines["10"].endswith("&lt;carol_away&gt;</span> Grüße 日本語 🎉")
    assert lines["11"].endswith('<span class="raw">15:01:09 -!- bob [~b@host] has quit [&lt;b&gt;bye&lt;/b&gt;]</span>')
    assert nick_colour("alice") != nick_colour("bob")
