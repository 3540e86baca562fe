"""The live-test infrastructure works: a real InspIRCd (plain + TLS), Anope services, and the scripted IRC user."""

import asyncio
import ssl
import time

import pytest

from irc_client import IrcUser, IrcUserError, connected, line_matches, privmsg
from ircd import Ircd, IrcdError, _find_binary

IRCV3_CAPS = ("server-time", "echo-message", "account-tag", "message-tags", "extended-join", "multi-prefix", "batch")


def test_missing_binary_fails_with_install_hint() -> None:
    with pytest.raises(IrcdError, match=r"not installed.*scripts/test"):
        _find_binary("gavel-no-such-ircd")


def test_two_users_exchange_a_channel_message(ircd: Ircd) -> None:
    async def scenario() -> None:
        async with connected(ircd.host, ircd.port, "alice", "bob") as (alice, bob):
            await alice.join("#meeting")
            await bob.join("#meeting")
            await alice.wait_for(line_matches("JOIN", "#meeting", nick="bob"))
            alice.say("#meeting", "hello bob")
            alice.action("#meeting", "waves")
            said = await bob.wait_for(privmsg("#meeting", "hello bob", nick="alice"))
            acted = await bob.wait_for(privmsg("#meeting", "\x01ACTION waves\x01", nick="alice"))
            assert said.hostmask.nickname == "alice"
            assert acted.params == ["#meeting", "\x01ACTION waves\x01"]
            await bob.change_nick("robert")
            renamed = await alice.wait_for(line_matches("NICK", "robert", nick="bob"))
            assert renamed.params == ["robert"]
            assert bob.nick == "robert"

    asyncio.run(scenario())


def test_tls_user_verifies_the_certificate(ircd: Ircd) -> None:
    async def scenario() -> None:
        names = ("localhost", "127.0.0.1")  # the certificate's subjectAltName covers both
        users = await asyncio.gather(
            *(
                IrcUser.connect(ircd.host, ircd.tls_port, f"tls{i}", tls=True, cafile=ircd.cafile, server_hostname=name)
                for i, name in enumerate(names)
            )
        )
        for user in users:
            async with user:
                user.send_line("WHOIS", user.nick)
                secure = await user.wait_for(line_matches("671", user.nick))  # RPL_WHOISSECURE
                assert "secure" in secure.params[-1]
        with pytest.raises(IrcUserError) as failure:  # without our cafile the self-signed certificate is refused
            await IrcUser.connect(ircd.host, ircd.tls_port, "nocafile", tls=True, timeout=5)
        assert isinstance(failure.value.__cause__, ssl.SSLCertVerificationError)

    asyncio.run(scenario())


def test_cap_ls_offers_the_ircv3_caps(ircd: Ircd) -> None:
    async def scenario() -> None:
        async with await IrcUser.connect(ircd.host, ircd.port, "capper", caps=IRCV3_CAPS) as user:
            assert set(IRCV3_CAPS) <= set(user.available_caps)
            assert set(IRCV3_CAPS) <= user.caps  # all ACKed
            assert "WHOX" in user.isupport
            assert user.isupport["CASEMAPPING"] == "rfc1459"
            await user.join("#caps")
            user.say("#caps", "echo me")
            echoed = await user.wait_for(privmsg("#caps", "echo me", nick="capper"))
            assert echoed.tags is not None
            assert {"time", "msgid"} <= set(echoed.tags)

    asyncio.run(scenario())


def test_restart_keeps_the_ports(ircd: Ircd) -> None:
    ports = (ircd.port, ircd.tls_port)

    async def scenario() -> None:
        async with await IrcUser.connect(ircd.host, ircd.port, "before") as before:
            started = time.monotonic()
            await asyncio.to_thread(ircd.restart)
            assert time.monotonic() - started < 5
            await before.wait_closed(timeout=5)
            with pytest.raises(IrcUserError, match="connection closed"):
                await before.wait_for(privmsg(), timeout=5)
            with pytest.raises(IrcUserError, match="closed connection"):
                before.say("#gone", "anyone?")
        assert (ircd.port, ircd.tls_port) == ports
        after, after_tls = await asyncio.gather(
            IrcUser.connect(ircd.host, ircd.port, "after"),
            IrcUser.connect(ircd.host, ircd.tls_port, "aftertls", tls=True, cafile=ircd.cafile),
        )
        async with after, after_tls:
            assert (after.nick, after_tls.nick) == ("after", "aftertls")

    asyncio.run(scenario())


def test_services_account_sasl_and_account_tags(ircd_services: Ircd) -> None:
    server = ircd_services

    async def scenario() -> None:
        await server.register_account("chair", "chair-password")
        observer, chair = await asyncio.gather(
            IrcUser.connect(server.host, server.port, "observer", caps=("account-tag", "extended-join")),
            IrcUser.connect(
                server.host,
                server.tls_port,
                "chairnick",
                tls=True,
                cafile=server.cafile,
                caps=("account-tag",),
                sasl=("chair", "chair-password"),
            ),
        )
        async with observer, chair:
            assert chair.account == "chair"
            await observer.join("#accounts")
            await chair.join("#accounts")
            joined = await observer.wait_for(line_matches("JOIN", "#accounts", nick="chairnick"))
            assert joined.params[1] == "chair"  # extended-join: account name
            chair.say("#accounts", "#startmeeting")
            said = await observer.wait_for(privmsg("#accounts", "#startmeeting", nick="chairnick"))
            assert said.tags is not None
            assert said.tags["account"] == "chair"
        with pytest.raises(IrcUserError, match="SASL PLAIN"):
            await IrcUser.connect(server.host, server.port, "impostor", sasl=("chair", "wrong-password"))
        with pytest.raises(IrcdError, match="already registered"):
            await server.register_account("chair", "other-password")
        await asyncio.to_thread(server.restart)  # services keep their accounts over a restart
        async with await IrcUser.connect(server.host, server.port, "again", sasl=("chair", "chair-password")) as again:
            assert again.account == "chair"

    asyncio.run(scenario())
