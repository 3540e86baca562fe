"""The sans-I/O IRC client: registration, capabilities, SASL, channel events, CTCP, splitting, flood control."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from irctokens.line import tokenise

from gavel.core.events import AccountChange, Action, Join, Message, NickChange, Part, Quit
from gavel.transports.irc.flood import TokenBucket
from gavel.transports.irc.protocol import (
    ChannelEvent,
    IrcClient,
    IrcSettings,
    JoinedChannel,
    LeftChannel,
    Notice,
    Output,
    Registered,
)
from gavel.transports.irc.split import MAX_LINE_BYTES, SOURCE_RESERVE, clean, privmsg_budget, split_message

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def feed(client: IrcClient, *lines: str) -> list[Output]:
    outputs: list[Output] = []
    for line in lines:
        outputs += client.receive(tokenise(line), NOW)
    return outputs


def registered(settings: IrcSettings | None = None, caps: str = "") -> IrcClient:
    client = IrcClient(settings or IrcSettings(nick="gavel", channels=(("#meet", None),)))
    client.start()
    feed(client, f":srv CAP * LS :{caps}" if caps else ":srv CAP * LS :")
    if caps:
        feed(client, f":srv CAP * ACK :{caps}")
    feed(client, ":srv 005 gavel CASEMAPPING=rfc1459 PREFIX=(qaohv)~&@%+ WHOX CHANMODES=beI,k,l,imnpst :are supported")
    feed(client, ":srv 001 gavel :Welcome")
    feed(client, ":gavel!u@h JOIN #meet")
    client.take_lines()
    return client


def events(outputs: list[Output]) -> list[object]:
    return [output.event for output in outputs if isinstance(output, ChannelEvent)]


def test_registration_requests_only_offered_caps_then_joins() -> None:
    client = IrcClient(IrcSettings(nick="gavel", server_password="pw", channels=(("#meet", None), ("#k", "key"))))
    client.start()
    assert client.take_lines() == ["CAP LS 302", "PASS pw", "NICK gavel", "USER gavel 0 * :gavel meeting bot"]
    feed(client, ":srv CAP * LS * :server-time message-tags sasl=PLAIN", ":srv CAP * LS :echo-message away-notify x")
    # no sasl: none configured; no away-notify (or any cap the bot does not handle)
    assert client.take_lines() == ["CAP REQ :server-time message-tags echo-message"]
    feed(client, ":srv CAP * ACK :server-time message-tags echo-message")
    assert client.take_lines() == ["CAP END"]
    outputs = feed(client, ":srv 001 gavel :Welcome")
    assert outputs == [Registered("gavel")]
    assert client.take_lines() == ["JOIN #meet", "JOIN #k key"]


def test_sasl_plain() -> None:
    client = IrcClient(IrcSettings(nick="gavel", sasl_username="bot", sasl_password="s3cret"))
    client.start()
    client.take_lines()
    feed(client, ":srv CAP * LS :sasl server-time")
    assert client.take_lines() == ["CAP REQ :server-time sasl"]
    feed(client, ":srv CAP * ACK :server-time sasl")
    assert client.take_lines() == ["AUTHENTICATE PLAIN"]
    feed(client, "AUTHENTICATE +")
    (line,) = client.take_lines()
    assert base64.b64decode(line.split()[1]) == b"bot\0bot\0s3cret"
    feed(client, ":srv 903 gavel :SASL authentication successful")
    assert client.take_lines() == ["CAP END"] and client.sasl_done


def test_sasl_failure_is_reported_and_registration_goes_on() -> None:
    client = IrcClient(IrcSettings(nick="gavel", sasl_username="bot", sasl_password="bad", nickserv_password="ns"))
    client.start()
    feed(client, ":srv CAP * LS :sasl", ":srv CAP * ACK :sasl", "AUTHENTICATE +")
    client.take_lines()
    outputs = feed(client, ":srv 904 gavel :SASL authentication failed")
    assert outputs == [Notice("SASL authentication failed: SASL authentication failed")]
    assert client.take_lines() == ["CAP END"]
    feed(client, ":srv 001 gavel :Welcome")
    assert client.take_lines()[0] == "PRIVMSG NickServ :IDENTIFY ns"  # the NickServ fallback


def test_sasl_external() -> None:
    client = IrcClient(IrcSettings(nick="gavel", sasl_mechanism="EXTERNAL"))
    client.start()
    feed(client, ":srv CAP * LS :sasl", ":srv CAP * ACK :sasl")
    assert client.take_lines()[-1] == "AUTHENTICATE EXTERNAL"
    feed(client, "AUTHENTICATE +")
    assert client.take_lines() == ["AUTHENTICATE +"]


def test_nick_in_use_during_registration() -> None:
    client = IrcClient(IrcSettings(nick="gavel"))
    client.start()
    client.take_lines()
    outputs = feed(client, ":srv 433 * gavel :Nickname is already in use")
    assert client.take_lines() == ["NICK gavel_"] and isinstance(outputs[0], Notice)
    feed(client, ":srv 433 * gavel_ :in use", ":srv 433 * gavel__ :in use")
    assert client.take_lines() == ["NICK gavel__", "NICK gavel1"]
    feed(client, ":srv 001 gavel1 :Welcome")
    assert client.nick == "gavel1"


def test_ping_pong() -> None:
    client = registered()
    feed(client, "PING :abc")
    assert client.take_lines() == ["PONG abc"]


def test_channel_messages_become_events_with_server_time_account_and_msgid() -> None:
    client = registered(caps="server-time message-tags account-tag")
    outputs = feed(
        client,
        "@time=2026-01-02T03:04:05.678Z;account=alice;msgid=abc :alice!a@h PRIVMSG #meet :#topic hello",
        ":bob!b@h PRIVMSG #MEET :\x01ACTION waves\x01",
        ":bob!b@h PRIVMSG #other :not our channel",
    )
    assert events(outputs) == [
        Message(datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC), "alice", "#topic hello", "alice", "abc"),
        Action(NOW, "bob", "waves"),
    ]
    assert [o.channel for o in outputs if isinstance(o, ChannelEvent)] == ["#meet", "#meet"]


def test_not_logged_in_account_tag_is_none() -> None:
    client = registered()
    (event,) = events(feed(client, "@account=* :carol!c@h PRIVMSG #meet :hi"))
    assert isinstance(event, Message) and event.account is None


def test_ctcp_version_and_ping_are_answered_privately() -> None:
    client = registered()
    assert events(feed(client, ":bob!b@h PRIVMSG gavel :\x01VERSION\x01")) == []
    assert client.take_lines()[0].startswith("NOTICE bob :\x01VERSION gavel")
    feed(client, ":bob!b@h PRIVMSG gavel :\x01PING 12345\x01")
    assert client.take_lines() == ["NOTICE bob :\x01PING 12345\x01"]


def test_membership_nick_changes_and_quits_are_routed_to_channels() -> None:
    client = registered()
    feed(client, ":gavel!u@h JOIN #second")
    outputs = feed(
        client,
        ":srv 353 gavel = #meet :@gavel alice +bob",
        ":srv 353 gavel = #second :alice",
        ":alice!a@h NICK alice_",
        ":bob!b@h PART #meet :bye",
        ":alice_!a@h QUIT :gone",
    )
    got = [(o.channel, o.event) for o in outputs if isinstance(o, ChannelEvent)]
    assert got == [
        ("#meet", NickChange(NOW, "alice", "alice_")),
        ("#second", NickChange(NOW, "alice", "alice_")),
        ("#meet", Part(NOW, "bob")),
        ("#meet", Quit(NOW, "alice_")),
        ("#second", Quit(NOW, "alice_")),
    ]
    assert client.has_ops("#meet") and not client.has_ops("#second")


def test_extended_join_whox_and_account_notify_track_accounts() -> None:
    client = registered(caps="extended-join account-notify")
    (join,) = events(feed(client, ":dave!d@h JOIN #meet dave_account :Dave"))
    assert join == Join(NOW, "dave", "dave_account")
    feed(client, ":srv 354 gavel 173 #meet erin H@ erin_account")
    (said,) = events(feed(client, ":erin!e@h PRIVMSG #meet :hi"))
    assert isinstance(said, Message) and said.account == "erin_account"
    feed(client, ":erin!e@h ACCOUNT *")
    (said,) = events(feed(client, ":erin!e@h PRIVMSG #meet :hi"))
    assert isinstance(said, Message) and said.account is None
    assert client.has_ops("#meet") is False  # erin has ops, not us
    feed(client, ":srv 354 gavel 173 #meet frank H 0")  # WHOX says "0" for "not logged in"
    (said,) = events(feed(client, ":frank!f@h PRIVMSG #meet :hi"))
    assert isinstance(said, Message) and said.account is None
    assert "erin" in {nick for nick in client.channels["#meet"].ops}


def test_accounts_learnt_from_whox_and_account_notify_reach_the_core() -> None:
    """Account knowledge from replies (not only from events) becomes AccountChange events for every channel the nick
    is in, once per change: the core's chairs depend on it (a chair logged in before the bot joined)."""
    client = registered(caps="account-notify")
    feed(client, ":gavel!u@h JOIN #second", ":srv 353 gavel = #meet :@gavel chair", ":srv 353 gavel = #second :chair")
    got = events(feed(client, ":srv 354 gavel 173 #meet chair H chair_account"))
    assert got == [AccountChange(NOW, "chair", "chair_account")] * 2  # #meet and #second
    assert events(feed(client, ":chair!c@h ACCOUNT *")) == [AccountChange(NOW, "chair", None)] * 2
    assert events(feed(client, ":chair!c@h ACCOUNT *")) == []  # nothing new
    # A channel joined after the account was known is told by its own WHO reply (only that channel).
    feed(client, ":chair!c@h ACCOUNT chair_account", ":gavel!u@h JOIN #third", ":srv 353 gavel = #third :chair")
    outputs = feed(client, ":srv 354 gavel 173 #third chair H chair_account")
    assert [o.channel for o in outputs if isinstance(o, ChannelEvent)] == ["#third"]
    assert events(feed(client, ":srv 354 gavel 173 #meet newbie H 0")) == [AccountChange(NOW, "newbie", None)]
    assert events(feed(client, ":srv 354 gavel 173 #meet late H late_account")) == [
        AccountChange(NOW, "late", "late_account")
    ]
    assert "late" in client.channels["#meet"].members


def test_whox_is_requested_on_join() -> None:
    client = registered()
    feed(client, ":gavel!u@h JOIN #new")
    assert client.take_lines() == ["WHO #new %tcnfa,173"]


def test_mode_tracks_our_ops() -> None:
    client = registered()
    feed(client, ":chan!c@h MODE #meet +ko secret gavel")
    assert client.has_ops("#meet")
    feed(client, ":chan!c@h MODE #meet -o+b gavel *!*@bad")
    assert not client.has_ops("#meet")


def test_kick_of_the_bot() -> None:
    client = registered()
    outputs = feed(client, ":op!o@h KICK #meet gavel :out")
    assert outputs == [LeftChannel("#meet", "kicked: out")]
    assert events(feed(client, ":x!x@h PRIVMSG #meet :after")) == []


def test_joined_channel_output() -> None:
    client = IrcClient(IrcSettings(nick="gavel"))
    assert feed(client, ":gavel!u@h JOIN #x") == [JoinedChannel("#x"), ChannelEvent("#x", Join(NOW, "gavel"))]


def test_own_lines_without_echo_message() -> None:
    client = registered()
    own = client.own_line("#meet", "hello", NOW)
    assert own == ChannelEvent("#meet", Message(NOW, "gavel", "hello"))
    echoing = registered(caps="echo-message")
    assert echoing.own_line("#meet", "hello", NOW) is None


def test_outgoing_text_cannot_inject_lines() -> None:
    client = registered()
    ((line, piece),) = client.privmsg_lines("#meet", "a\r\nQUIT :bye\x00")
    assert "\r" not in line and "\n" not in line and "\x00" not in line and piece == "a QUIT :bye "
    assert client.topic_line("#meet", "x\nKICK") == "TOPIC #meet :x KICK"


@given(st.text(max_size=3000))
def test_split_keeps_every_character_and_fits(text: str) -> None:
    text = clean(text)
    budget = privmsg_budget("#meeting")
    pieces = split_message(text, budget)
    assert all(len(piece.encode("utf-8")) <= budget for piece in pieces)
    rebuilt = "".join(pieces)
    assert rebuilt.replace(" ", "") == text.replace(" ", "")  # only the break spaces may go


def test_split_prefers_spaces_and_never_breaks_utf8() -> None:
    text = "é" * 300 + " " + "word " * 100
    pieces = split_message(text, 100)
    assert all(len(p.encode()) <= 100 for p in pieces)
    assert pieces[0] == "é" * 50
    assert all(not p.startswith(" ") for p in pieces)


def test_privmsg_lines_fit_512_bytes_as_relayed() -> None:
    client = registered()
    for target in ("#meet", "#a-much-longer-channel-name"):
        for line, _ in client.privmsg_lines(target, "ü" * 2000, action=True):
            assert SOURCE_RESERVE + len(line.encode()) + 2 <= MAX_LINE_BYTES


def test_token_bucket() -> None:
    bucket = TokenBucket(burst=3, interval=2.0, now=0.0)
    for _ in range(3):
        assert bucket.delay(0.0) == 0
        bucket.take(0.0)
    assert bucket.delay(0.0) == pytest.approx(2.0)
    assert bucket.delay(1.0) == pytest.approx(1.0)
    assert bucket.delay(2.0) == 0
    bucket.take(2.0)
    assert bucket.delay(100.0) == 0  # refills, but never beyond the burst
    for _ in range(3):
        bucket.take(100.0)
    assert bucket.delay(100.0) > 0
    with pytest.raises(ValueError):
        TokenBucket(burst=0, interval=1.0, now=0.0)


def test_invalid_utf8_from_the_server_never_breaks_a_meeting() -> None:
    from irctokens.stateful import StatefulDecoder

    client = registered()
    decoder = StatefulDecoder()
    lines = decoder.push(b":a!b@c PRIVMSG #meet :caf\xe9 \xff\r\n:a!b@c PRIVMSG #meet :ok \xc3\xa9\r\n")
    assert lines is not None
    got: list[Output] = []
    for line in lines:
        got += client.receive(line, NOW)
    texts = [event.text for event in events(got) if isinstance(event, Message)]
    assert len(texts) == 2 and texts[1] == "ok é" and texts[0].startswith("caf")


def test_a_server_time_out_of_range_falls_back_to_the_clock() -> None:
    """Year 1 at +01:00 is before what UTC can hold: astimezone raised OverflowError and killed the connection."""
    client = registered()
    (said,) = events(feed(client, "@time=0001-01-01T00:30:00+01:00 :erin!e@h PRIVMSG #meet :hi"))
    assert isinstance(said, Message) and said.time == NOW
