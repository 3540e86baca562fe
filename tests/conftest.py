"""Shared fixtures: real IRC servers for the live tests (see tests/ircd.py and tests/irc_client.py), PostgreSQL for
the archive tests (tests/pg.py); and the ``servers`` mark on every test that needs one of those servers."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gavel.app.importer import parse_log
from gavel.storage.archive import Archive, open_archive
from homeserver import Synapse
from ircd import Ircd
from pg import POSTGRESQL, PostgresServer

# The fixtures that start a server: a test that uses one, directly or through another fixture, gets the `servers`
# mark. (A fixture that starts one on demand, with request.getfixturevalue, marks its own parameter: pg.POSTGRESQL.)
SERVER_FIXTURES = frozenset({"_ircd_session", "_ircd_services_session", "_postgres_session", "synapse"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


def refuse_without_servers(request: pytest.FixtureRequest, server: str) -> None:
    """A server starting in a `-m "not servers"` run fails the test: it needs the mark."""
    if request.config.getoption("markexpr") == "not servers":
        pytest.fail(f'{server} started in a `-m "not servers"` run: mark the test `servers`', pytrace=False)


@pytest.fixture(scope="session")
def _ircd_session(request: pytest.FixtureRequest) -> Iterator[Ircd]:
    refuse_without_servers(request, "InspIRCd")
    with Ircd() as server:
        yield server


@pytest.fixture(scope="session")
def synapse(request: pytest.FixtureRequest) -> Iterator[Synapse]:
    """The run's Synapse homeserver (one per session: it takes a few seconds to start)."""
    refuse_without_servers(request, "Synapse")
    with Synapse() as server:
        yield server


@pytest.fixture(scope="session")
def _ircd_services_session(request: pytest.FixtureRequest) -> Iterator[Ircd]:
    refuse_without_servers(request, "InspIRCd with Anope")
    with Ircd(services=True) as server:
        yield server


@pytest.fixture
def ircd(_ircd_session: Ircd) -> Ircd:
    """The run's InspIRCd: ``ircd.port`` (plain), ``ircd.tls_port`` (TLS; verify with ``ircd.cafile``).

    Started again (same ports) if an earlier test left it stopped.
    """
    _ircd_session.start()
    return _ircd_session


@pytest.fixture
def ircd_services(_ircd_services_session: Ircd) -> Ircd:
    """The run's InspIRCd with Anope linked: NickServ accounts (``await ircd_services.register_account(...)``),
    SASL PLAIN and account tags. Accounts live for the whole run, so give each test its own account names."""
    _ircd_services_session.start()
    return _ircd_services_session


# ---------------------------------------------------------------------------------------------- archive


@pytest.fixture(scope="session")
def _postgres_session(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    refuse_without_servers(request, "PostgreSQL")
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(_postgres_session: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the run's PostgreSQL server (started once per session, see tests/pg.py)."""
    url = _postgres_session.create_database()
    yield url
    _postgres_session.drop_database(url)


@pytest.fixture(params=["sqlite", POSTGRESQL])
def archive_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty archive's URL, once per backend: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'archive.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    """An empty archive, once per backend."""
    with open_archive(archive_url) as opened:
        yield opened


StoreLog = Callable[..., list[int]]


@pytest.fixture
def store_log(tmp_path: Path) -> StoreLog:
    """``store_log(archive, "name.2024-05-01-14.00.log.txt", text, network=None)``: write a MeetBot log, replay it
    in memory and store its meetings; their ids."""
    logs = tmp_path / "logs"

    def store(archive: Archive, filename: str, text: str, network: str | None = None) -> list[int]:
        logs.mkdir(exist_ok=True)
        path = logs / filename
        path.write_text(text, encoding="utf-8")
        parsed = parse_log(path)
        assert parsed.error is None, parsed.error
        return [meeting.store(archive, network=network) for meeting in parsed.meetings]

    return store
