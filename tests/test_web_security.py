"""Web UI security: escaping everywhere, path traversal, headers, and who sees restricted meetings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from starlette.types import ASGIApp, Message, Scope

from web_support import (
    BACKENDS,
    SECRET,
    TOKEN,
    UNICODE_TEXT,
    WEEKLY,
    XSS_NICK,
    XSS_TEXT,
    XSS_TITLE,
    Web,
    meeting_path,
    web_archive,
)


@pytest.fixture(scope="module", params=BACKENDS)
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


class Markup(HTMLParser):
    """Every element and attribute of a page, to check nothing active slipped through."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> Markup:
    """No script, no inline handler or style, no javascript: URL, no <img> from log text."""
    parsed = Markup(html)
    assert not {"script", "img", "iframe", "object", "embed", "style"} & set(parsed.tags), parsed.tags
    for name, value in parsed.attributes:
        assert not name.startswith("on") and name != "style", (name, value)
        if name in ("href", "src", "action"):
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), value
    return parsed


BEARER = {"Authorization": f"Bearer {TOKEN}"}


def test_hostile_meeting_is_escaped_on_every_page(web: Web) -> None:
    client = web.client()
    hostile = web.corpus.hostile
    pages = {
        "meeting": client.get(meeting_path(hostile)).text,
        "series": client.get(f"/series/{WEEKLY}").text,
        "search": client.get("/search", params={"q": "alert friends"}).text,
        "search-nick": client.get("/search", params={"q": "alert", "nick": XSS_NICK}).text,
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert_inert(html)
    meeting = pages["meeting"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; &amp; friends" in meeting
    assert "<title>#weekly: &lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; (2024-01-09) · gavel</title>" in meeting
    assert "x&#34;&#39;&amp;&lt;y" in meeting or "x&quot;&#x27;&amp;&lt;y" in meeting
    text = " ".join(Markup(meeting).text)
    assert XSS_TEXT in text and XSS_TITLE in text and XSS_NICK in text and UNICODE_TEXT in text
    search = pages["search"]
    assert "<mark>alert</mark>(1)&lt;/script&gt;" in search.replace("&lt;script&gt;", "")  # escaped, highlighted


def test_reflected_search_text_is_escaped(web: Web) -> None:
    probe = '"><script>alert(1)</script><input value="'
    for params in ({"q": probe}, {"q": "roadmap", "nick": probe}, {"q": "roadmap", "channel": probe}):
        html = web.client().get("/search", params=params).text
        assert "<script>" not in html
        assert_inert(html)
        assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    bad = web.client().get("/search", params={"q": probe, "page": "<b>x</b>"})
    assert bad.status_code == 400 and "<b>x</b>" not in bad.text
    api = web.client().get("/api/search", params={"q": probe, "kind": "<script>"})
    assert api.status_code == 400 and api.headers["content-type"] == "application/json"


def test_api_gives_text_as_json_not_html(web: Web) -> None:
    response = web.client().get(f"/api{meeting_path(web.corpus.hostile)}")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    data = response.json()
    assert data["title"] == XSS_TITLE
    assert XSS_TEXT in [line["text"] for line in data["log"]]
    assert XSS_NICK in [line["nick"] for line in data["log"]]


TRAVERSALS = [
    "/series/..%2F..%2Fetc/passwd",
    "/series/..%2F..%2F..%2Fetc%2Fpasswd",
    "/series/%2e%2e/%2e%2e/etc/passwd",
    "/series/..",
    "/series/%2e%2e",
    "/series/weekly_sync/..%2F..%2Fetc%2Fpasswd",
    "/series/weekly_sync/%2e%2e",
    "/series/..%5C..%5Cwindows",
    "/series/a%00b",
    "/series/weekly_sync/x%00",
    "/static/..%2F..%2Fetc%2Fpasswd",
    "/static/../app.py",
    "/static/%2e%2e/app.py",
    "/api/series/..%2F..%2Fetc%2Fpasswd",
    "/api/series/weekly_sync/..%2Fsecret_council",
    "/api/series/%2e%2e",
    "/..%2F..%2Fetc/passwd",
]


def raw_get(app: ASGIApp, raw_path: str) -> tuple[int, bytes]:
    """GET a path exactly as written (no client-side ``..`` resolution), decoded as uvicorn decodes it."""
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 12345),
        "server": ("testserver", 80),
    }

    async def call() -> None:
        await app(scope, receive, send)

    asyncio.run(call())
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_404(web: Web, path: str) -> None:
    status, body = raw_get(web.app(), path)
    assert status == 404, path
    assert b"root:" not in body and b"import" not in body
    response = web.client().get(path)  # as a client that resolves dot segments sends it
    assert response.status_code in (200, 404)
    assert "root:" not in response.text and "import" not in response.text


def test_security_headers_everywhere(web: Web) -> None:
    client = web.client()
    for path in (
        "/",
        f"/series/{WEEKLY}",
        meeting_path(web.corpus.roadmap),
        "/search?q=roadmap",
        "/search?q=x&page=zero",
        "/api/series",
        "/api/search?q=roadmap",
        "/api/search",
        "/static/gavel.css",
        "/nope",
        "/login",
    ):
        response = client.get(path)
        headers = response.headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "server" not in headers or "uvicorn" not in headers["server"]
    page = client.get("/")  # anonymous: nothing restricted on it, a shared cache may keep it (and ask again)
    assert page.headers["cache-control"] == "public, no-cache"
    assert page.headers["vary"] == "Authorization, Cookie"
    signed_in = web.client(headers={"Authorization": f"Bearer {TOKEN}"}).get("/")
    assert signed_in.headers["cache-control"] == "private, no-cache"
    assert signed_in.headers["vary"] == "Authorization, Cookie"
    assert "etag" not in signed_in.headers
    for path in ("/search?q=roadmap", "/api/series"):
        assert client.get(path).headers["cache-control"] == "private, no-cache", path


# ---------------------------------------------------------------------- who sees restricted meetings


def restricted_views(web: Web) -> dict[str, str]:
    restricted = web.corpus.restricted
    return {
        "page": meeting_path(restricted),
        "page-by-id": f"/series/{WEEKLY}/{restricted.id}",
        "api": f"/api{meeting_path(restricted)}",
        "series": f"/series/{SECRET}",
        "api-series": f"/api/series/{SECRET}",
    }


def assert_hidden(web: Web, headers: dict[str, str] | None = None, **options: object) -> None:
    client = web.client(headers=headers, **options)  # type: ignore[arg-type]
    for name, path in restricted_views(web).items():
        assert client.get(path).status_code == 404, name
    assert client.get("/api/search", params={"q": "zanzibar"}).json()["total"] == 0
    assert SECRET not in client.get("/").text
    assert "zanzibar" not in client.get(f"/series/{WEEKLY}").text


def assert_shown(web: Web, headers: dict[str, str] | None = None, **options: object) -> None:
    client = web.client(headers=headers, **options)  # type: ignore[arg-type]
    for name, path in restricted_views(web).items():
        assert client.get(path).status_code == 200, name
    assert client.get("/api/search", params={"q": "zanzibar"}).json()["total"] >= 3
    assert SECRET in client.get("/").text
    assert "zanzibar" in client.get(f"/series/{WEEKLY}").text


def test_anonymous_sees_no_restricted_meeting(web: Web) -> None:
    assert_hidden(web)


def test_bearer_token(web: Web) -> None:
    assert_shown(web, headers=BEARER)
    assert_shown(web, headers={"Authorization": f"bearer   {TOKEN}"})


def test_wrong_bearer_token_is_401(web: Web) -> None:
    client = web.client(headers={"Authorization": "Bearer wrong"})
    page = client.get("/")
    assert page.status_code == 401 and "invalid token" in page.text
    assert page.headers["www-authenticate"] == 'Bearer realm="gavel"'
    assert client.get("/api/series").json() == {"error": "invalid token"}
    assert web.client(headers={"Authorization": "Basic dXNlcjpwYXNz"}).get("/").status_code == 200  # not ours


def test_a_cookie_holding_the_token_is_no_login(web: Web) -> None:
    client = web.client()
    client.cookies.set("token", TOKEN)  # what the login form set before sessions
    assert client.get(meeting_path(web.corpus.restricted)).status_code == 404
    client.cookies.set("gavel_session", TOKEN)
    assert client.get(meeting_path(web.corpus.restricted)).status_code == 404


def test_login_form(web: Web) -> None:
    app = web.app()
    client = web.client(app=app)
    restricted = meeting_path(web.corpus.restricted)
    form = client.get("/login", params={"next": restricted})
    assert form.status_code == 200
    assert '<form class="login" method="post" action="/login">' in form.text
    assert f'name="next" value="{restricted}"' in form.text
    refused = client.post("/login", data={"token": "guess", "next": restricted})
    assert refused.status_code == 401 and "That token is not right." in refused.text
    assert "set-cookie" not in refused.headers
    accepted = client.post("/login", data={"token": TOKEN, "next": restricted}, follow_redirects=False)
    assert accepted.status_code == 303 and accepted.headers["location"] == restricted
    cookie = accepted.headers.get_list("set-cookie")[0]
    assert cookie.startswith("gavel_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Max-Age=43200" in cookie and "Secure" not in cookie  # plain http: no Secure
    session = client.cookies["gavel_session"]
    assert TOKEN not in session and TOKEN.replace(" ", "+") not in session and "correct" not in session
    shown = client.get(restricted)
    assert shown.status_code == 200 and "Sign out" in shown.text
    copy = web.client(app=app)
    copy.cookies.set("gavel_session", session)  # whoever copied the cookie ...
    assert copy.get(restricted).status_code == 200
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert client.get(restricted).status_code == 404
    assert copy.get(restricted).status_code == 404  # ... is signed out too: the session is gone on the server


OFF_SITE = ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/\tx"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(web: Web, target: str) -> None:
    response = web.client().post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_login_form_limits(web: Web) -> None:
    client = web.client()
    assert client.post("/login", content=b"token=" + b"x" * 10_000).status_code == 413
    assert client.post("/login", content=b"\xff\xfe garbage &&&=").status_code == 401


def test_without_a_token_there_is_no_login(web: Web) -> None:
    client = web.client(token=None)
    assert client.get("/login").status_code == 404
    assert client.post("/login", data={"token": ""}).status_code == 404
    assert "Sign in" not in client.get("/").text
    assert_hidden(web, headers={"Authorization": "Bearer "}, token=None)
    assert_hidden(web, headers={"Authorization": f"Bearer {TOKEN}"}, token=None)


def test_trusted_user_header(web: Web) -> None:
    proxy = {"user_header": "X-Remote-User", "trusted_proxies": ("127.0.0.1",), "peer": "127.0.0.1"}
    assert_shown(web, headers={"X-Remote-User": "alice"}, **proxy)
    page = web.client(headers={"X-Remote-User": "<b>alice</b>"}, **proxy).get("/")  # type: ignore[arg-type]
    assert "Signed in as &lt;b&gt;alice&lt;/b&gt;" in page.text
    assert_hidden(web, headers={"X-Remote-User": ""}, **proxy)
    assert_hidden(web, headers={"X-Remote-User": "   "}, **proxy)
    assert_hidden(web, headers={"X-Remote-User": "alice"})  # not trusted unless configured


@pytest.mark.parametrize("peer", ["10.0.0.7", "127.0.0.2", "::1", "testclient"])
def test_user_header_from_anyone_but_a_trusted_proxy_is_ignored(web: Web, peer: str) -> None:
    options = {"user_header": "X-Remote-User", "trusted_proxies": ("127.0.0.1", "192.168.0.0/16"), "peer": peer}
    assert_hidden(web, headers={"X-Remote-User": "alice"}, **options)
    assert_shown(web, headers={"X-Remote-User": "alice"}, **{**options, "peer": "192.168.3.4"})
    assert_shown(web, headers={"X-Remote-User": "alice"}, **{**options, "peer": "::ffff:127.0.0.1"})


def test_restricted_404_is_indistinguishable(web: Web) -> None:
    client = web.client()
    hidden = client.get(meeting_path(web.corpus.restricted))
    missing = client.get(f"/series/{WEEKLY}/weekly_sync.2024-02-13-15.59")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text.replace("15.59", "15.00")  # the page's own path is in its sign-in link
    assert dict(hidden.headers) == dict(missing.headers)
    hidden_api = client.get(f"/api{meeting_path(web.corpus.restricted)}")
    missing_api = client.get(f"/api/series/{WEEKLY}/weekly_sync.2024-02-13-15.59")
    assert hidden_api.json() == missing_api.json()
    assert re.sub(SECRET, "x", client.get(f"/series/{SECRET}").text) == client.get("/series/x").text
