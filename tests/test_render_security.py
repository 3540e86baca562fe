"""Log text is data: it can never inject markup, scripts or unsafe links into any output."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from gavel.core.meeting import MeetingSettings
from gavel.render.minutes import render_html, render_json, render_markdown, render_text
from gavel.render.view import MinutesView, build_view
from render_support import meeting_of, render_logs

SCRIPT = "<script>alert(1)</script>"
SAFE_SCHEMES = ("http://", "https://", "ftp://", "irc://", "ircs://")
LOG = "meeting.2024-05-01-09.00.log.html"


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}

    def hrefs(self) -> list[str]:
        return [attrs["href"] or "" for tag, attrs in self.tags if tag == "a" and "href" in attrs]

    def attribute_names(self) -> set[str]:
        return {name for _, attrs in self.tags for name in attrs}


def assert_safe_html(html: str, own_prefixes: tuple[str, ...]) -> Tags:
    tags = Tags(html)
    assert "script" not in tags.names()
    assert not {name for name in tags.attribute_names() if name.startswith("on")}
    for href in tags.hrefs():
        assert href.startswith((*SAFE_SCHEMES, *own_prefixes)), href
    return tags


def markdown_tags(md: str) -> Tags:
    """The Markdown rendered by a permissive CommonMark parser (raw HTML on, every link scheme allowed)."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    tokens = parser.parse(md)
    kinds = {token.type for token in tokens} | {child.type for token in tokens for child in token.children or []}
    assert not kinds & {"html_inline", "html_block"}, kinds
    return Tags(parser.render(md))


HOSTILE = [
    ("alice", f"#startmeeting {SCRIPT} title"),
    ("alice", f"#topic {SCRIPT} topic"),
    ("alice", f"#info {SCRIPT} info"),
    (SCRIPT, "hello from a hostile nick"),
    (SCRIPT, "#info an item by a hostile nick"),
    ("alice", f"#action {SCRIPT} action"),
    ("alice", "#link javascript:alert(1)"),
    ("alice", "#link JaVaScRiPt:alert(2) and data:text/html;base64,PHNjcmlwdD4="),
    ("alice", '#link http://example.com/"onmouseover="alert(3) quoted'),
    ("alice", "#info [click](javascript:alert(4)) ![img](javascript:alert(5)) <javascript:alert(6)>"),
    ("alice", "#idea *bold* _em_ `code` ~~gone~~ | a | b | \\ &amp; &lt;b&gt; # not a heading"),
    ("alice", "#info 1. not a list"),
    ("alice", "#info - not a list either"),
    ("alice", "#info > not a quote"),
    ("alice", "#endmeeting"),
]


@pytest.fixture(scope="module")
def hostile() -> MinutesView:
    meeting, _ = meeting_of(HOSTILE)
    return build_view(meeting, log_basename="meeting.2024-05-01-09.00")


def test_html_minutes_escape_everything(hostile: MinutesView) -> None:
    html = render_html(hostile)
    tags = assert_safe_html(html, (LOG, "https://pypi.org/"))
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; title" in html  # meeting title
    assert "&lt;script&gt;alert(1)&lt;/script&gt; topic" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; info" in html
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt; (2)</li>" in html  # the nick, among the people
    assert 'l-5">&lt;script&gt;alert(1)&lt;/script&gt;</a>' in html  # the author of an item
    assert "javascript:alert(1)" in html and "JaVaScRiPt:alert(2)" in html and "data:text/html" in html
    assert "http://example.com/" in tags.hrefs()
    assert "&amp;amp; &amp;lt;b&amp;gt;" in html


def test_log_html_escapes_everything() -> None:
    _, logged = meeting_of(HOSTILE)
    _, html = render_logs(logged, title=f"{SCRIPT} log")
    tags = assert_safe_html(html, ("#l-",))
    assert SCRIPT not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; log</title>" in html
    assert "&lt;&lt;script&gt;alert(1)&lt;/script&gt;&gt;" in html  # the hostile nick
    assert "http://example.com/" in tags.hrefs()
    assert "javascript:alert(1)" in html


def test_markdown_minutes_escape_everything(hostile: MinutesView) -> None:
    md = render_markdown(hostile)
    assert SCRIPT not in md
    tags = markdown_tags(md)
    assert "script" not in tags.names() and "img" not in tags.names()
    for href in tags.hrefs():
        assert href.startswith((*SAFE_SCHEMES, LOG, "https://pypi.org/")), href
    assert "http://example.com/" in tags.hrefs()
    # Only our own labels are bold; nothing from the log becomes emphasis, code, a table or a heading.
    assert not {"em", "code", "s", "del", "table", "h4", "ol", "blockquote"} & tags.names()
    assert sum(tag == "strong" for tag, _ in tags.tags) == 5  # the labels: ACTION, 3 x LINK, IDEA
    rendered = MarkdownIt("commonmark").render(md)
    assert "*bold* _em_ `code` ~~gone~~ | a | b | \\ &amp;amp; &amp;lt;b&amp;gt; # not a heading" in rendered
    assert "1. not a list" in rendered and "- not a list either" in rendered


def test_text_and_json_keep_the_text_verbatim(hostile: MinutesView) -> None:
    text, data = render_text(hostile), render_json(hostile)
    assert f"{SCRIPT} info" in text and "javascript:alert(1)" in text
    assert f"{SCRIPT} info" in data and "javascript:alert(1)" in data


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        " javascript:alert(1)",
    ],
)
def test_unsafe_link_is_never_an_href(url: str) -> None:
    meeting, logged = meeting_of([("alice", "#startmeeting"), ("alice", f"#link {url}"), ("alice", url)])
    view = build_view(meeting, log_basename="meeting.2024-05-01-09.00")
    assert [item.kind for item in view.items] == ["link"]
    for html in (render_html(view), render_logs(logged)[1]):
        hrefs = Tags(html).hrefs()
        assert not [href for href in hrefs if not href.startswith((*SAFE_SCHEMES, LOG, "#l-", "https://pypi.org/"))]
    md = render_markdown(view)
    assert not [href for href in markdown_tags(md).hrefs() if not href.startswith((LOG, "https://pypi.org/"))]


def test_quote_in_url_cannot_leave_the_attribute() -> None:
    attack = "#link https://example.com/a\"><img src=x onerror=alert(1)>b'c"
    meeting, logged = meeting_of([("alice", "#startmeeting"), ("alice", attack)])
    view = build_view(meeting, log_basename="m")
    for html in (render_html(view), render_logs(logged)[1]):
        tags = Tags(html)
        assert "img" not in tags.names()
        assert "https://example.com/a" in tags.hrefs()
        assert "onerror" not in tags.attribute_names()


def test_safe_url_with_ampersand_and_quote_is_escaped_in_the_attribute() -> None:
    meeting, _ = meeting_of([("alice", "#startmeeting"), ("alice", "#link https://x.org/?a=1&b='2'")])
    html = render_html(build_view(meeting, log_basename="m"))
    assert '<a href="https://x.org/?a=1&amp;b=&#x27;2" rel="nofollow noopener">https://x.org/?a=1&amp;b=\'2</a>' in html
    assert "https://x.org/?a=1&b='2" in Tags(html).hrefs()


def test_url_base_is_not_taken_from_the_log() -> None:
    settings = MeetingSettings(channel="#c", bot_nick="bot")
    meeting, _ = meeting_of([("alice", "#startmeeting"), ("alice", "#endmeeting")], settings)
    view = build_view(meeting, log_basename="c.2024-05-01-09.00")
    assert view.log_url == view.log_href == "c.2024-05-01-09.00.log.html"


def test_info_url_must_be_a_safe_url() -> None:
    settings = MeetingSettings(channel="#c", info_url="javascript:alert(1)")
    meeting, _ = meeting_of([("alice", "#startmeeting"), ("alice", "#endmeeting")], settings)
    view = build_view(meeting, log_basename="m")
    assert view.info_url == ""
    assert "javascript" not in render_html(view) and "javascript" not in render_markdown(view)
    assert "Generated by gavel 0.1.0." in render_html(view)
    assert render_markdown(view).endswith("Generated by gavel 0.1.0\n")
