"""Shared fixtures: real IRC servers for the live tests (see tests/ircd.py and tests/irc_client.py)."""

from collections.abc import Iterator

import pytest

from ircd import Ircd


@pytest.fixture(scope="session")
def _ircd_session() -> Iterator[Ircd]:
    with Ircd() as server:
        yield server


@pytest.fixture(scope="session")
def _ircd_services_session() -> Iterator[Ircd]:
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
