"""URL finding and escaping shared by the writers."""

from __future__ import annotations

import html
import textwrap
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gavel.render.links import URL, escape_attribute, escape_html, hms, html_text, iso, split_links, split_urls
from gavel.render.minutes_md import _ESCAPES, escape_chars, escape_text, inline, inline_reference
from gavel.render.minutes_text import _fill


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("see https://example.org/a?b=1&c=2.", ["https://example.org/a?b=1&c=2"]),
        ("(see https://x.org/a_(b).)", ["https://x.org/a_(b)"]),
        ("[http://x.org/]", ["http://x.org/"]),
        ("x https://a.org/b, and ftp://c.d/e.", ["https://a.org/b", "ftp://c.d/e"]),
        (
            "irc://irc.libera.chat/#gavel ircs://irc.oftc.net:6697/x",
            ["irc://irc.libera.chat/#gavel", "ircs://irc.oftc.net:6697/x"],
        ),
        ("HTTPS://X.ORG/Path", ["HTTPS://X.ORG/Path"]),
        ('https://x.org/"onclick="1', ["https://x.org/"]),
        ("https://x.org/<b>", ["https://x.org/"]),
        ("it's 'http://x.org/q'", ["http://x.org/q"]),
        ("javascript:alert(1)", []),
        ("data:text/html,<b>x</b>", []),
        ("file:///etc/passwd", []),
        ("git+https://x.org/r xhttp://y.org", []),
        ("a bare http:// or http://. is no link", []),
        ("no urls at all", []),
    ],
)
def test_split_links_finds_only_safe_urls(text: str, urls: list[str]) -> None:
    pieces = split_links(text)
    assert "".join(piece for piece, _ in pieces) == text
    assert [piece for piece, is_url in pieces if is_url] == urls
    assert all(piece for piece, _ in pieces)


@given(st.text(alphabet=st.sampled_from(list("ab:/.()[]'\"<> &#xhtpsfirc")), max_size=60))
def test_split_links_always_gives_the_text_back(text: str) -> None:
    pieces = split_links(text)
    assert "".join(piece for piece, _ in pieces) == text
    for piece, is_url in pieces:
        if is_url:
            assert piece.lower().startswith(("http://", "https://", "ftp://", "irc://", "ircs://"))
            assert not {'"', "<", ">", " "} & set(piece)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"&<>\"'", "a", " ", ":", "/", "é", "👍"]), max_size=20))
def test_escape_html_is_the_standard_librarys(text: str) -> None:
    """``escape_html`` (and ``html_text`` of a text without a URL), which search before they replace, escape as
    ``html.escape(quote=False)`` does."""
    assert escape_html(text) == html.escape(text, quote=False)
    if "://" not in text:
        assert html_text(text) == html.escape(text, quote=False)


@given(st.text(max_size=80))
def test_html_text_never_leaves_markup_unescaped(text: str) -> None:
    out = html_text(text)
    stripped = out
    for piece, is_url in split_links(text):
        if is_url:
            stripped = stripped.replace(f'<a href="{escape_attribute(piece)}" rel="nofollow noopener">', "", 1)
            stripped = stripped.replace("</a>", "", 1)
    assert "<" not in stripped and ">" not in stripped


def test_escape_attribute() -> None:
    assert escape_attribute("""a&b<c>d"e'f""") == "a&amp;b&lt;c&gt;d&quot;e&#x27;f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words stay plain", "plain words stay plain"),
        ("*a* _b_ `c` [d](e) ~f~ | g \\ h # i", "\\*a\\* \\_b\\_ \\`c\\` \\[d\\]\\(e\\) \\~f\\~ \\| g \\\\ h \\# i"),
        ("<b> & &amp;", "&lt;b&gt; &amp; &amp;amp;"),
        ("- item", "\\- item"),
        ("+ item", "\\+ item"),
        ("12. item", "12\\. item"),
        ("1) item", "1\\) item"),
        ("=== x", "\\=== x"),
        ("> quote", "&gt; quote"),
        ("a - b + c 1. d", "a - b + c 1. d"),
        ("two\nlines\r\n", "two lines"),
        ("$x$", "\\$x\\$"),
    ],
)
def test_markdown_escape(text: str, expected: str) -> None:
    assert escape_text(text) == expected


def test_markdown_inline_links_only_safe_urls() -> None:
    assert inline("see https://x.org/a_b and javascript:alert(1)") == (
        "see <https://x.org/a_b> and javascript:alert\\(1\\)"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"\\`*_[]{}()#!|~^$&<>", "a", " ", "é", "\u00a0", "-"]), max_size=20))
def test_markdown_escape_chars_translates(text: str) -> None:
    """The fast path (no Markdown punctuation: three replaces) gives what the translation table gives."""
    assert escape_chars(text) == text.translate(_ESCAPES)


_MARKDOWN_TEXT = st.text(
    alphabet=st.sampled_from(
        [
            *"\\`*_[]{}()#!|~^$&<>-+=.)",
            "a",
            *"0123456789",
            "\u0663",
            " ",
            " ",
            "\t",
            "\u00a0",
            "\u2003",
            "\x1f",
            "\u200b",
            "é",
            "👍",
        ]
    ),
    max_size=24,
)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        _MARKDOWN_TEXT, st.builds("{} https://x.org/{} {}".format, _MARKDOWN_TEXT, _MARKDOWN_TEXT, _MARKDOWN_TEXT)
    )
)
def test_inline_is_its_reference(text: str) -> None:
    """``inline`` (text already on one line kept as it is, the escaping's searches first, the block-start pattern
    only after a character it may match) gives what ``inline_reference`` gives plainly."""
    assert inline(text) == inline_reference(text)


def test_time_formats() -> None:
    moment = datetime(2016, 3, 16, 4, 5, 6, 789, tzinfo=UTC)
    assert (hms(moment), iso(moment)) == ("04:05:06", "2016-03-16T04:05:06Z")


_WORDS_AND_SPACES = st.lists(
    st.one_of(st.text(alphabet="xé-/", min_size=1, max_size=90), st.sampled_from([" ", "  ", " " * 75])), max_size=40
).map("".join)


# Words apart by single spaces (the common case, which _fill wraps a line at a time): short words, and words as
# long as a line or longer.
_SINGLE_SPACED = st.lists(
    st.one_of(st.text(alphabet="xé-/", min_size=1, max_size=12), st.text(alphabet="y", min_size=66, max_size=80)),
    min_size=1,
    max_size=30,
).map(" ".join)


# Words apart by runs of spaces, none at either end (wrapped a line at a time too: an entry's "text  (nick, time)").
_INNER_SPACED = st.lists(
    st.tuples(
        st.one_of(st.text(alphabet="xé-/", min_size=1, max_size=12), st.text(alphabet="y", min_size=66, max_size=80)),
        st.sampled_from([" ", " ", "  ", "   ", " " * 70, " " * 75]),
    ),
    min_size=1,
    max_size=30,
).map(lambda pairs: "".join(word + space for word, space in pairs).rstrip(" "))


@settings(max_examples=600, deadline=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from(list("ab -(),.:/\té")), max_size=150),
        _WORDS_AND_SPACES,
        _SINGLE_SPACED,
        _INNER_SPACED,
    ),
    st.sampled_from((0, 2)),
)
def test_text_fill_matches_textwrap(text: str, indent: int) -> None:
    expected = textwrap.fill(
        text,
        width=72,
        initial_indent=" " * indent + "* ",
        subsequent_indent=" " * (indent + 2),
        break_long_words=False,
        break_on_hyphens=False,
    )
    assert _fill(text, indent) == expected


_URLISH = st.lists(
    st.one_of(
        st.sampled_from(["http", "HTTPS", "ftp", "irc", "ircs", "xhttp", "s", "://", ":/", "//", ":", "ftp://"]),
        st.text(alphabet='hHtTpPsSfFiIrRcC:/ .-+_<>"é\u00a0\n', max_size=6),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(_URLISH)
def test_split_urls_is_url_split(text: str) -> None:
    assert split_urls(text) == URL.split(text)


def test_the_writers_link_exactly_the_core_s_schemes() -> None:
    """The render layer's URL pattern is built from the core's LINK_SCHEMES (it was a hand-copied list): every
    scheme in any ASCII case is a link, a look-alike with a non-ASCII letter is not (nor for the core)."""
    from gavel.core.records import LINK_SCHEMES, starts_with_url

    for scheme in LINK_SCHEMES:
        for spelled in (scheme, scheme.upper(), scheme.title()):
            text = f"{spelled}://example.org/x"
            assert URL.findall(f"see {text}") == [text]
            assert starts_with_url(text)
    for look_alike in ("\u0131rc://x", "\u0130RC://x", "\uff48ttp://x"):
        assert URL.findall(look_alike) == [] and not starts_with_url(look_alike)
