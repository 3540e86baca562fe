"""The index tokenizer (storage/archive/tokens.py), without a database: what it splits and folds, its fast path
held equal to the reference, and the properties both backends' indexes rely on."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gavel.storage.archive.query import Term, parse_query
from gavel.storage.archive.tokens import MAX_TOKEN, ChunkTokens, reference_tokens, tokens, tsvector_literal

# FTS5's ascii tokenizer: ASCII letters and digits and every non-ASCII character are token characters
_FTS5_ASCII = re.compile(r"(?:[A-Za-z0-9]|[^\x00-\x7f])+")


def test_words_inside_urls_paths_addresses_and_markup() -> None:
    assert tokens("see https://bugs.launchpad.net/ubuntu/+bug/1000085 now") == [
        *("see", "https", "bugs", "launchpad", "net", "ubuntu", "bug", "1000085", "now"),
    ]
    assert tokens("/etc/nginx/sites-enabled/default.conf") == ["etc", "nginx", "sites", "enabled", "default", "conf"]
    assert tokens("mail John.Doe@Example.COM") == ["mail", "john", "doe", "example", "com"]
    assert tokens("<script>alert(1)</script>") == ["script", "alert", "1", "script"]
    assert tokens("a&amp;b") == ["a", "amp", "b"]


def test_identifiers_give_their_whole_form_then_their_parts() -> None:
    assert tokens("getUserName") == ["getusername", "get", "user", "name"]
    assert tokens("get_user_name") == ["getusername", "get", "user", "name"]
    assert tokens("HTTPServer ipv6Address") == ["httpserver", "http", "server", "ipv6address", "ipv6", "address"]
    assert tokens("Hello WORLD user3 _x_ __") == ["hello", "world", "user3", "x"]


def test_unicode_is_folded() -> None:
    assert tokens("Café CRÈME naïve Straße") == ["cafe", "creme", "naive", "strasse"]
    assert tokens("cafe\u0301") == tokens("café") == ["cafe"]  # decomposed or not
    assert tokens("李雷 says ﬁne ①") == ["李雷", "says", "fine", "1"]
    assert tokens("İstanbul") == ["istanbul"]
    assert tokens("— ✓ 😀 ...") == []
    assert tokens("a\u20d7b שָׁלוֹם") == ["ab", "שלום"]  # marks beyond the usual block go too


def test_long_tokens_are_cut() -> None:
    assert tokens("x" * 100) == ["x" * MAX_TOKEN]
    assert tokens("É" * 100) == ["e" * MAX_TOKEN]


def test_tsvector_literal_has_positions() -> None:
    assert tsvector_literal("the cat and the hat") == "the:1 cat:2 and:3 the:4 hat:5"  # PostgreSQL merges "the"
    assert tsvector_literal("") == ""


def test_queries_use_the_same_tokens() -> None:
    assert parse_query("snake_case") == (Term(("snakecase", "snake", "case")),)
    assert parse_query("getUser*") == (Term(("get", "user"), prefix=True),)
    assert parse_query('"Café Crème" +bug/1000085') == (Term(("cafe", "creme")), Term(("bug", "1000085")))
    assert parse_query("<script>") == (Term(("script",)),)


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("aZ_9 -./@<>:'\"éÉßİ\u0301\u20d7\u05b0\u0903ﬁ①李—👍"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@settings(max_examples=1000, deadline=None)
@given(_TEXT.filter(lambda text: "\u034f" not in text))
def test_the_fast_path_equals_the_reference(text: str) -> None:
    """Except at U+034F, a known difference (docs/design.md) that only a migration may remove."""
    assert tokens(text) == reference_tokens(text)


def test_the_known_difference_at_u034f() -> None:
    assert tokens("a\u034fb") == ["a", "b"] and reference_tokens("a\u034fb") == ["ab"]


def test_chunk_tokens_across_any_whitespace() -> None:
    memo = ChunkTokens(limit=3)
    text = "Café\u00a0getUser\u3000x_y\x1c \u0301é — naïve\u2028李雷"
    assert memo("a\u034fb 李") == tokens("a\u034fb 李") == ["ab", "李"]  # (where tokens() joins at U+034F)
    expected = ["cafe", "getuser", "get", "user", "xy", "x", "y", "e", "naive", "李雷"]
    assert memo(text) == tokens(text) == reference_tokens(text) == expected
    assert len(memo) <= 3  # it forgets rather than grow past its limit
    assert memo("") == [] and memo(" \t ") == []


# texts of pieces that tokenize differently alone and together (marks, U+034F, letters beyond ASCII, identifiers)
_PIECES = ["a", "Zb", "_", "9", " ", "\t", "\u00a0", "\u3000", "-", "é", "\u0301", "\u034f", "李", "—", "getUser"]
_CHUNKED = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(_TEXT, _CHUNKED), max_size=8), st.integers(1, 20))
def test_chunk_tokens_equal_the_reference(texts: list[str], limit: int) -> None:
    """Text after text through one memo (which remembers, then forgets, chunks) gives each text's own tokens."""
    memo = ChunkTokens(limit)
    for text in [*texts, *texts]:
        assert memo(text) == tokens(text)
        assert len(memo) <= limit


@settings(deadline=None)
@given(st.text(alphabet=st.sampled_from("abXY_09 .-<>/@"), max_size=40))
def test_the_fast_path_equals_the_reference_on_ascii(text: str) -> None:
    assert tokens(text) == reference_tokens(text)


@settings(deadline=None)
@given(_TEXT)
@example("aᎠ")  # found by hypothesis: a Cherokee capital folds to itself, and split "aᎠ" again as a case change
def test_tokens_are_words_of_their_own(text: str) -> None:
    """Every token is a token of itself (so a query word finds it) and FTS5's ascii tokenizer keeps it whole."""
    for token in tokens(text):
        assert 0 < len(token) <= MAX_TOKEN
        assert tokens(token) == [token]
        assert _FTS5_ASCII.fullmatch(token), token
        assert token == token.casefold()


@settings(deadline=None)
@given(_TEXT)
def test_a_text_searched_for_finds_itself(text: str) -> None:
    """The phrase of a text's tokens, as a query makes it, is the text's token list (so both backends match it)."""
    found = tokens(text)
    for term in parse_query('"' + text.replace('"', " ") + '"'):
        size = len(term.words)
        assert any(tuple(found[i : i + size]) == term.words for i in range(len(found) - size + 1)), (term, found)
