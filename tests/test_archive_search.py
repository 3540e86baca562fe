"""Full-text search on both backends: ranking, filters, pagination, snippets, and hostile input that never raises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import StoreLog
from gavel.storage.archive import Archive, SearchQuery, SnippetPart
from gavel.storage.archive.query import Term, fts5_query, parse_query, snippet, tsquery


def log(*said: str, start: str = "14:00:00") -> str:
    base = datetime.strptime(start, "%H:%M:%S")
    return "".join(f"{base + timedelta(seconds=i):%H:%M:%S} {line}\n" for i, line in enumerate(said))


def meeting(*said: str) -> str:
    return log("<alice> #startmeeting", *said, "<alice> #endmeeting")


HOSTILE = [
    '"foo',
    'foo"',
    '""',
    '"',
    '"""',
    "AND",
    "OR",
    "NOT",
    "foo AND",
    "AND foo OR",
    "*",
    "foo*",
    "*foo",
    "**",
    "-",
    "-foo",
    "foo -bar",
    "NEAR(",
    "NEAR(foo bar",
    "NEAR(foo, bar, 2)",
    "(",
    ")",
    "foo:bar",
    "text:foo",
    "^foo",
    "{text}:foo",
    "'",
    "''",
    "\\",
    "\x00",
    "",
    "   ",
    "你好",
    "ünïcode Café",
    "😀",
    "a" * 500,
    " ".join(["word"] * 100),
    "%",
    "%s",
    "?",
    "_",
    ":*",
    "!",
    "&",
    "|",
    "<->",
    "'foo':*",
    "foo & bar | !baz",
    "\u200b",
    "foo\nbar",
    "\ud7ff\ue000",
    "ǅ ß ﬁ İ",
    "١٢٣",
]


# ------------------------------------------------------------------ the query language, without a database


def test_parse_query() -> None:
    assert parse_query('"foo') == (Term(("foo",)),)
    assert parse_query("AND foo") == (Term(("and",)), Term(("foo",)))
    assert parse_query('say "release plan" now') == (Term(("say",)), Term(("release", "plan")), Term(("now",)))
    assert parse_query("relea* *x") == (Term(("relea",), prefix=True), Term(("x",)))
    assert parse_query("foo-bar don't") == (Term(("foo", "bar")), Term(("don", "t")))
    assert parse_query("NEAR(a, b)") == (Term(("near", "a")), Term(("b",)))
    assert parse_query("x_y") == (Term(("xy", "x", "y")),)
    assert parse_query("foo foo FOO Foo") == (Term(("foo",)),)
    assert parse_query("- * ( ) \" ' 😀") == ()
    assert len(parse_query(" ".join(f"w{i}" for i in range(40)))) == 16


def test_compiled_queries_quote_every_word() -> None:
    terms = parse_query('"release plan" foo* AND')
    assert fts5_query(terms) == '"release plan" "foo"* "and"'
    assert tsquery(terms) == "('release' <-> 'plan') & ('foo':*) & ('and')"


def test_snippet_marks_words_and_cuts_long_text() -> None:
    assert snippet("Deploy the deployment, deploy!", parse_query("deploy")) == (
        SnippetPart("Deploy", True),
        SnippetPart(" the deployment, ", False),
        SnippetPart("deploy", True),
        SnippetPart("!", False),
    )
    assert snippet("Deploy the deployment", parse_query("depl*"))[2] == SnippetPart("deployment", True)
    assert snippet("nothing", parse_query("else")) == (SnippetPart("nothing", False),)
    assert snippet("", parse_query("x")) == ()
    long = " ".join(f"w{i}" for i in range(200)) + " needle " + " ".join(f"v{i}" for i in range(200))
    parts = snippet(long, parse_query("needle"))
    assert parts[0].text.startswith("…") and parts[-1].text.endswith("…")
    assert SnippetPart("needle", True) in parts
    assert 200 <= sum(len(p.text) for p in parts) <= 250
    markup = snippet("<b>x</b>", parse_query("b"))  # text stays text: the web layer escapes every part
    assert "".join(p.text for p in markup) == "<b>x</b>"
    assert [p.text for p in markup if p.highlight] == ["b", "b"]


# ------------------------------------------------------------------ both backends


def test_ranking_prefers_dense_matches(archive: Archive, store_log: StoreLog) -> None:
    store_log(
        archive,
        "ops.2024-05-01-14.00.log.txt",
        meeting(
            "<bob> we talked about many things today and one of them was the deploy of the new mail server",
            "<carol> deploy deploy deploy",
            "<dave> nothing to see here",
        ),
    )
    results = archive.search(SearchQuery("deploy"))
    assert results.total == 2
    assert [hit.nick for hit in results.hits] == ["carol", "bob"]
    assert results.hits[0].score > results.hits[1].score
    assert results.hits[0].snippet[0] == SnippetPart("deploy", True)


def test_lines_and_items_kinds_and_filters(archive: Archive, store_log: StoreLog) -> None:
    store_log(
        archive,
        "ops.2024-05-01-14.00.log.txt",
        meeting("<bob> zebra talk", "<alice> #agreed zebra release on friday", "<Carol> Zebra again"),
        network="libera",
    )
    store_log(archive, "web.2024-06-01-14.00.log.txt", meeting("<bob> the zebra site", "<erin> zebra!"))
    store_log(archive, "zoo.2025-01-01-14.00.log.txt", meeting("<bob> zebra"))

    everything = archive.search(SearchQuery("zebra"))
    assert everything.total == 7
    kinds = sorted(hit.kind for hit in everything.hits)
    assert kinds == ["agreed", "line", "line", "line", "line", "line", "line"]
    [agreed] = archive.search(SearchQuery("zebra", kind="agreed")).hits
    assert (agreed.kind, agreed.text, agreed.nick, agreed.line, agreed.series) == (
        "agreed",
        "zebra release on friday",
        "alice",
        3,
        "ops",
    )
    assert archive.search(SearchQuery("zebra", kind="line")).total == 6
    assert archive.search(SearchQuery("zebra", kind="bogus")).total == 0
    assert archive.search(SearchQuery("zebra", series="web")).total == 2
    assert archive.search(SearchQuery("zebra", series="nope")).total == 0
    assert archive.search(SearchQuery("zebra", channel="#OPS")).total == 4
    assert archive.search(SearchQuery("zebra", nick="carol")).total == 1
    assert archive.search(SearchQuery("zebra", nick="bob", series="zoo")).total == 1
    since = datetime(2024, 6, 1, tzinfo=UTC)
    assert archive.search(SearchQuery("zebra", since=since)).total == 3
    assert archive.search(SearchQuery("zebra", until=since)).total == 4
    assert archive.search(SearchQuery("zebra", since=since, until=datetime(2025, 1, 1, tzinfo=UTC))).total == 2
    hit = archive.search(SearchQuery("site")).hits[0]
    assert (hit.series, hit.meeting_basename, hit.channel, hit.line) == ("web", "web.2024-06-01-14.00", "#web", 2)
    assert hit.time == datetime(2024, 6, 1, 14, 0, 1, tzinfo=UTC)


def test_pagination(archive: Archive, store_log: StoreLog) -> None:
    store_log(archive, "big.2024-05-01-14.00.log.txt", meeting(*(f"<u{i % 3}> needle number {i}" for i in range(25))))
    first = archive.search(SearchQuery("needle", per_page=10))
    assert (first.total, first.pages, len(first.hits)) == (25, 3, 10)
    seen = [
        hit.line for page in (1, 2, 3) for hit in archive.search(SearchQuery("needle", per_page=10, page=page)).hits
    ]
    assert sorted(seen) == list(range(2, 27))
    assert archive.search(SearchQuery("needle", per_page=10, page=4)).hits == ()
    assert archive.search(SearchQuery("needle", per_page=10, page=0)).page == 1
    assert archive.search(SearchQuery("needle", per_page=10_000)).per_page == 100
    assert len(archive.search(SearchQuery("needle", per_page=-5)).hits) == 1


def test_words_phrases_prefixes_and_unicode(archive: Archive, store_log: StoreLog) -> None:
    store_log(
        archive,
        "uni.2024-05-01-14.00.log.txt",
        meeting(
            "<bob> the release plan is ready",
            "<bob> plan the release later",
            "<bob> it was released",
            "<renée> Café crème for CAFÉ lovers",
            "<李雷> 李雷 says naïve things",
            "<bob> use foo-bar and don't panic",
        ),
    )

    def found(text: str) -> list[int]:
        return sorted(hit.line for hit in archive.search(SearchQuery(text)).hits)

    assert found("release plan") == [2, 3]
    assert found('"release plan"') == [2]
    assert found("relea*") == [2, 3, 4]
    assert found("release") == [2, 3]
    assert found("café") == [5]
    assert found("CAFÉ") == [5]
    assert found("crème") == [5]
    assert found("李雷") == [6]
    assert found("naïve") == [6]
    assert found("foo-bar") == [7]
    assert found("don't") == [7]
    assert found('"foo') == [7]  # a lone quote is ignored
    assert found('"use') == [7]
    assert found("ready AND") == []  # every word must occur; AND is just a word
    assert archive.search(SearchQuery("renée", nick="RENÉE")).total in (0, 1)  # non-ASCII case folding may differ


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries_never_raise(archive: Archive, store_log: StoreLog, text: str) -> None:
    if text == HOSTILE[0]:
        store_log(archive, "x.2024-05-01-14.00.log.txt", meeting('<bob> foo "bar" AND NEAR(baz) -qux * 你好'))
    results = archive.search(SearchQuery(text, nick=text, channel=text, series=text, kind=text or None))
    assert results.total == 0
    results = archive.search(SearchQuery(text))
    assert results.total >= 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_text_searches(archive: Archive, text: str) -> None:
    results = archive.search(SearchQuery(text, since=datetime(2000, 1, 1, tzinfo=UTC)))
    assert results.total == 0 and results.hits == ()
