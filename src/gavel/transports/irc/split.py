"""Splitting long replies so every IRC line stays within 512 bytes, without breaking UTF-8 or words."""

from __future__ import annotations

MAX_LINE_BYTES = 512
# ":nick!user@host " as the server relays it to others: IRC allows nick 30 + user 10 + host 63 in practice.
SOURCE_RESERVE = 1 + 30 + 1 + 10 + 1 + 63 + 1


def clean(text: str) -> str:
    """``text`` with CR, LF and NUL (which would end or corrupt an IRC line) turned into spaces."""
    if "\r" in text or "\n" in text or "\x00" in text:
        return text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\x00", " ")
    return text


def split_message(text: str, budget: int) -> list[str]:
    """Split ``text`` into pieces of at most ``budget`` UTF-8 bytes each.

    Breaks at the last space that fits when there is one, else between characters (never inside
    a multi-byte character). Always returns at least one piece (an empty text gives ``[""]``).
    """
    budget = max(budget, 4)  # one UTF-8 character always fits
    data = text.encode("utf-8")
    if len(data) <= budget:
        return [text]
    pieces: list[str] = []
    while len(data) > budget:
        cut = budget
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # never split a multi-byte character
            cut -= 1
        space = data.rfind(b" ", 0, cut + 1)
        if space > budget // 2:
            pieces.append(data[:space].decode("utf-8"))
            data = data[space + 1 :]
        else:
            pieces.append(data[:cut].decode("utf-8"))
            data = data[cut:]
    if data:
        pieces.append(data.decode("utf-8"))
    return pieces


def privmsg_budget(target: str, *, action: bool = False) -> int:
    """Bytes of text that fit in one ``PRIVMSG target :text`` line as relayed to other clients."""
    overhead = SOURCE_RESERVE + len(f"PRIVMSG {target} :".encode()) + 2  # + CR LF
    if action:
        overhead += len("\x01ACTION \x01")
    return MAX_LINE_BYTES - overhead
