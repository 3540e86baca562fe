"""Access control of ``gavel serve``: sessions that expire and end at logout, the token's minimum length, wrong
tokens throttled per client address, and what only a trusted proxy may say (the client's address and scheme)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from gavel.app.cli import main
from gavel.storage.archive import open_archive
from gavel.web.auth import AccessSettingsError
from gavel.web.sessions import Sessions, session_key
from gavel.web.throttle import Throttle, client_key
from web_support import BACKENDS, TOKEN, Web, meeting_path, web_archive


@pytest.fixture(scope="module", params=BACKENDS[:1])  # nothing here depends on the archive's backend
def web(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    with web_archive(request, tmp_path_factory) as filled:
        yield filled


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sign_in(client: TestClient, token: str = TOKEN) -> int:
    return client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False).status_code


# ---------------------------------------------------------------------- sessions


@pytest.mark.parametrize(("hours", "max_age"), [(12, 43200), (1, 3600), (0.5, 1800)])
def test_a_session_expires(web: Web, hours: float, max_age: int) -> None:
    clock = Clock()
    client = web.client(app=web.app(session_hours=hours, clock=clock))
    restricted = meeting_path(web.corpus.restricted)
    response = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert f"Max-Age={max_age}" in response.headers.get_list("set-cookie")[0]
    clock.now += max_age - 1
    assert client.get(restricted).status_code == 200
    clock.now += 1
    assert client.get(restricted).status_code == 404
    assert "Sign in" in client.get("/").text


def test_a_session_is_shared_by_every_app_over_the_archive(web: Web) -> None:
    """Another worker or a restarted server (a new app over the same archive) knows the session; signing out on
    one ends it on all; a cookie cannot be forged or altered."""
    client = web.client(app=web.app())
    assert sign_in(client) == 303
    cookie = client.cookies["gavel_session"]
    restricted = meeting_path(web.corpus.restricted)
    other = web.client(app=web.app())
    other.cookies.set("gavel_session", cookie)
    assert other.get(restricted).status_code == 200
    session, _, signature = cookie.rpartition(".")
    for forged in (
        session,
        session + ".",
        f"{session}x.{signature}",
        # (the first character: the last one's lowest bits are padding, which base64 decoding ignores)
        f"{session}.{'B' if signature.startswith('A') else 'A'}{signature[1:]}",
        "a.b",
        "%C3%A9",
    ):
        altered = web.client(app=client.app)  # type: ignore[arg-type]
        altered.cookies.set("gavel_session", forged)
        assert altered.get(restricted).status_code == 404, forged
    assert other.post("/logout", follow_redirects=False).status_code == 303
    kept = web.client(app=client.app)  # type: ignore[arg-type]
    kept.cookies.set("gavel_session", cookie)  # a copy of the cookie, kept after signing out elsewhere
    assert kept.get(restricted).status_code == 404


def test_the_archive_keeps_only_a_hash_of_a_session(web: Web) -> None:
    client = web.client(app=web.app())
    assert sign_in(client) == 303
    session = client.cookies["gavel_session"].rpartition(".")[0]
    assert web.archive.web_state().session_expires_at(session) is None
    assert web.archive.web_state().session_expires_at(session_key(session)) is not None


def test_session_cookie_is_secure_over_https(web: Web) -> None:
    client = web.client(base_url="https://testserver")
    cookie = client.post("/login", data={"token": TOKEN}, follow_redirects=False).headers.get_list("set-cookie")[0]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_https_behind_a_trusted_proxy_only(web: Web) -> None:
    https = {"X-Forwarded-Proto": "https"}
    proxied = web.client(trusted_proxies=("10.0.0.1",), peer="10.0.0.1", headers=https)
    assert "Secure" in proxied.post("/login", data={"token": TOKEN}, follow_redirects=False).headers["set-cookie"]
    anyone = web.client(trusted_proxies=("10.0.0.1",), peer="10.0.0.2", headers=https)
    assert "Secure" not in anyone.post("/login", data={"token": TOKEN}, follow_redirects=False).headers["set-cookie"]


# ---------------------------------------------------------------------- the token's length


def test_a_short_token_is_refused(web: Web) -> None:
    with pytest.raises(AccessSettingsError, match="at least 24"):
        web.app(token="x" * 23)
    assert sign_in(web.client(token="y" * 24), "y" * 24) == 303


@pytest.mark.parametrize(
    ("arguments", "env", "message"),
    [
        (["--token", "hunter2"], {}, "the token (--token or $GAVEL_WEB_TOKEN) has 7 characters; it needs at least 24"),
        ([], {"GAVEL_WEB_TOKEN": "x" * 23}, "has 23 characters"),
        (["--trust-user-header", "X-Remote-User"], {}, "--trust-user-header X-Remote-User needs --trusted-proxy"),
        (["--trust-user-header", "X-Remote-User", "--trusted-proxy", "10.0.0.300"], {}, "is not an IP address"),
        (["--token", "x" * 24, "--session-hours", str(24 * 365)], {}, "--session-hours 8760 is out of range"),
    ],
)
def test_serve_refuses_unsafe_settings(arguments: list[str], env: dict[str, str], message: str) -> None:
    """Refused before anything is opened (the archive URL here is bogus), with exit status 2 as config errors."""
    result = CliRunner().invoke(main, ["serve", "--archive", "bogus://nowhere", *arguments], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "nothing was started" in result.output


# ---------------------------------------------------------------------- wrong tokens


def test_wrong_logins_are_throttled_per_address(web: Web) -> None:
    clock = Clock()
    app = web.app(clock=clock)
    guesser = web.client(app=app, peer="203.0.113.9")
    for _ in range(5):
        assert sign_in(guesser, "guess") == 401
        clock.now += 1
    refused = guesser.post("/login", data={"token": TOKEN})  # even the right token: guessing on learns nothing
    assert refused.status_code == 429 and refused.headers["retry-after"] == "55"
    assert "Too many wrong tokens from your address: try again in 55 seconds." in refused.text
    assert "set-cookie" not in refused.headers
    assert sign_in(web.client(app=app, peer="203.0.113.10")) == 303  # another address is not held up
    clock.now += 55
    assert sign_in(guesser) == 303


def test_wrong_bearer_tokens_are_throttled(web: Web) -> None:
    app = web.app(clock=Clock())
    wrong = web.client(app=app, peer="2001:db8::1", headers={"Authorization": "Bearer guess"})
    for _ in range(5):
        assert wrong.get("/api/series").status_code == 401
    refused = wrong.get("/api/series")
    assert refused.status_code == 429 and refused.json() == {"error": "too many wrong tokens: try again in 60 s"}
    assert refused.headers["retry-after"] == "60"
    same_machine = web.client(app=app, peer="2001:db8::2", headers={"Authorization": f"Bearer {TOKEN}"})
    assert same_machine.get("/api/series").status_code == 429  # one /64 counts as one address
    elsewhere = web.client(app=app, peer="2001:db8:1::2", headers={"Authorization": f"Bearer {TOKEN}"})
    assert elsewhere.get("/api/series").status_code == 200


def test_forwarded_for_counts_only_from_a_trusted_proxy(web: Web) -> None:
    app = web.app(trusted_proxies=("10.0.0.0/8",), clock=Clock())
    for n in range(5):  # a client that names a new address each time is still one address
        spoofed = web.client(app=app, peer="198.51.100.7", headers={"X-Forwarded-For": f"192.0.2.{n}"})
        assert sign_in(spoofed, "guess") == 401
    assert sign_in(web.client(app=app, peer="198.51.100.7", headers={"X-Forwarded-For": "192.0.2.99"})) == 429
    for n in range(5):  # behind the proxy: the client it names (the nearest untrusted hop) is counted
        behind = web.client(app=app, peer="10.0.0.1", headers={"X-Forwarded-For": f"6.6.6.{n}, 192.0.2.1, 10.1.1.1"})
        assert sign_in(behind, "guess") == 401
    assert sign_in(web.client(app=app, peer="10.0.0.1", headers={"X-Forwarded-For": "192.0.2.1"})) == 429
    assert sign_in(web.client(app=app, peer="10.0.0.1", headers={"X-Forwarded-For": "192.0.2.2"})) == 303


def test_wrong_tokens_count_across_apps_over_the_archive(web: Web) -> None:
    clock = Clock()
    first, second = web.app(clock=clock), web.app(clock=clock)
    for n in range(5):
        assert sign_in(web.client(app=first if n % 2 else second, peer="198.51.100.77"), "guess") == 401
    assert sign_in(web.client(app=first, peer="198.51.100.77")) == 429
    assert sign_in(web.client(app=second, peer="198.51.100.77")) == 429


def test_the_throttle_table_stays_small(tmp_path: Path) -> None:
    clock = Clock()
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        state = archive.web_state()
        throttle = Throttle(state, clock, failures=2, window=60, max_clients=3)

        def rows() -> list[tuple[str, float]]:
            with state._connection():
                return [(r[0], r[1]) for r in state._query("SELECT client, failed_at FROM web_login_failures")]

        for n in range(100):
            throttle.failure(f"192.0.2.{n}")
            throttle.failure(f"192.0.2.{n}")
            assert len(rows()) <= 6
        assert throttle.retry_after("192.0.2.99") == 60
        assert throttle.retry_after("192.0.2.0") == 0  # forgotten, the oldest
        clock.now += 60
        assert throttle.retry_after("192.0.2.99") == 0
        throttle.failure("192.0.2.200")
        assert rows() == [("192.0.2.200", 1060.0)]  # the aged-out ones went first


def test_sessions_stay_few(tmp_path: Path) -> None:
    clock = Clock()
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        state = archive.web_state()
        sessions = Sessions(state, 100, clock, max_sessions=3)
        cookies = []
        for _ in range(5):
            cookies.append(sessions.start())
            clock.now += 1
        assert [sessions.valid(cookie) for cookie in cookies] == [False, False, True, True, True]
        clock.now += 98
        assert [sessions.valid(cookie) for cookie in cookies] == [False, False, False, False, True]
        sessions.start()
        with state._connection():
            assert state._query("SELECT count(*) FROM web_sessions") == [(2,)]  # the expired ones went


def test_client_key() -> None:
    assert client_key("192.0.2.1") == "192.0.2.1"
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_key("2001:db8:0:0:1::7") == client_key("2001:db8::9") == "2001:db8::/64"
    assert client_key("testclient") == "testclient"


def test_a_signature_spelled_another_way_is_refused(tmp_path: Path) -> None:
    """The signature's last base64 character carries 2 bits that decode to nothing: the 4 characters that differ
    only there decode to the same bytes, and only the one the server wrote is a session (the test above once
    failed when its altered last character was one of those)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    with open_archive(f"sqlite://{tmp_path / 'archive.db'}") as archive:
        sessions = Sessions(archive.web_state(), 60.0, lambda: 0.0)
        for _ in range(20):
            cookie = sessions.start()
            assert sessions.valid(cookie)
            last = alphabet.index(cookie[-1])
            twins = [alphabet[last // 4 * 4 + offset] for offset in range(4) if last // 4 * 4 + offset != last]
            for twin in twins:
                assert not sessions.valid(cookie[:-1] + twin), (cookie, twin)
