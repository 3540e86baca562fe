"""``.json`` minutes: the whole view as data, for tools."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from gavel.render.links import iso
from gavel.render.view import AgendumView, ItemView, MinutesView, VoteView


def _item(item: ItemView) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "text": item.text,
        "nick": item.nick,
        "time": item.iso_time,
        "topic": item.topic,
        "line": item.line,
        "corrected_from": item.corrected_from,
    }


def _item_json(item: ItemView) -> str:
    """``_dumps(_item(item))``, written out: a busy meeting has tens of thousands of items, and the encoder's Python
    layers cost more than the encoding (``test_item_json_is_what_the_encoder_writes`` holds the two equal)."""
    corrected, topic = item.corrected_from, item.topic
    return (
        f'{{"corrected_from": {"null" if corrected is None else _string(corrected)}, "kind": {_string(item.kind)}, '
        f'"line": {item.line}, "nick": {_string(item.nick)}, "text": {_string(item.text)}, '
        f'"time": "{item.iso_time}", "topic": {"null" if topic is None else _string(topic)}}}'
    )


def _vote(vote: VoteView) -> dict[str, Any]:
    return {
        "question": vote.question,
        "options": list(vote.options),
        "results": {option: list(voters) for option, voters in vote.results},
        "nick": vote.nick,
        "time": iso(vote.time),
        "ended_at": iso(vote.ended_at) if vote.ended_at is not None else None,
        "line": vote.line,
    }


def _agendum(agendum: AgendumView) -> dict[str, Any]:
    return {
        "number": agendum.number,
        "title": agendum.title,
        "proposer": agendum.proposer,
        "status": agendum.status,
        "taken_at": iso(agendum.taken_at) if agendum.taken_at is not None else None,
        "closed_at": iso(agendum.closed_at) if agendum.closed_at is not None else None,
        "minutes_spent": agendum.minutes_spent,
        "timebox_minutes": agendum.timebox_minutes,
    }


def _members(view: MinutesView) -> dict[str, Any]:
    """The top-level members, with every list as an iterator: its elements are made only as they are read."""
    return {
        "generator": view.generator,
        "meeting": {
            "id": view.meeting_id,
            "name": view.name,
            "channel": view.channel,
            "title": view.title,
            "owner": view.owner,
            "started_by": view.started_by,
            "chairs": list(view.chairs),
            "started_at": iso(view.started_at),
            "ended_at": iso(view.ended_at) if view.ended_at is not None else None,
            "unfinished": view.unfinished,
            "unfinished_at": iso(view.unfinished_at) if view.unfinished_at is not None else None,
            "restricted": view.restricted,
            "log_basename": view.log_basename,
            "log_url": view.log_url,
        },
        "topics": (
            {
                "title": t.text,
                "nick": t.nick,
                "time": iso(t.time),
                "line": t.line,
                "timebox_minutes": t.timebox_minutes,
                "minutes_spent": t.minutes_spent,
            }
            for t in view.topics
        ),
        "items": map(_item, view.items),
        "actions": (item.text for item in view.actions),
        "actions_by_person": {owner.nick: (item.text for item in owner.actions) for owner in view.actions_by_person},
        "unassigned_actions": (item.text for item in view.unassigned_actions),
        "people": (
            {"nick": person.nick, "lines": person.lines, "also_known_as": list(person.also_known_as)}
            for person in view.people
        ),
        "votes": map(_vote, view.votes),
        "attendance": {"present": iter(view.present), "regrets": iter(view.regrets)},
        "agenda": map(_agendum, view.agenda),
    }


def _plain(value: Any) -> Any:
    """``value`` with its iterators read into lists (plain JSON-able data; what an iterator gives is plain)."""
    if isinstance(value, Iterator):
        return list(value)
    if isinstance(value, dict):
        return {name: _plain(member) for name, member in value.items()}
    return value


def as_data(view: MinutesView) -> dict[str, Any]:
    """The minutes as plain JSON-able data."""
    data: dict[str, Any] = _plain(_members(view))
    return data


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
_dumps = _ENCODER.encode
_string: Callable[[str], str] = json.encoder.encode_basestring  # what _dumps does with a str, without its checks
_END = object()  # what `next` gives at the end of an iterator
CHUNK_ELEMENTS = 128  # a list's elements are encoded and joined this many at a time
Encode = Callable[[Any], str]
# The members whose lists (or, for an object, whose values' lists) hold only strings or only items: encoded with less.
_ENCODERS: dict[str, Encode] = {
    "actions": _string,
    "unassigned_actions": _string,
    "actions_by_person": _string,
    "attendance": _string,
}


def _member(key: str, value: Any, encode: Encode = _dumps) -> Iterator[str]:
    """One top-level member: a list or an object gets one line per element (readable, and fast: each line is
    encoded by the C encoder, which ``indent=`` would turn off). A list's elements are encoded as they come, each by
    ``encode``; ``encode`` also encodes the elements of an object's list values."""
    if isinstance(value, Iterator):
        yield from _elements(f"  {_dumps(key)}: ", value, "[\n    ", ",\n    ", "\n  ]", encode)
    elif isinstance(value, dict) and value:
        for index, name in enumerate(sorted(value)):
            start = ",\n    " if index else f"  {_dumps(key)}: {{\n    "
            yield from _value(f"{start}{_dumps(name)}: ", value[name], encode)
        yield "\n  }"
    else:
        yield f"  {_dumps(key)}: {_dumps(value)}"


def _value(head: str, value: Any, encode: Encode) -> Iterator[str]:
    """``head`` and ``value`` on one line; an iterator's elements are encoded as they come, as the encoder
    writes a list (``["a", "b"]``), so not even one person's actions are all held at once."""
    if isinstance(value, Iterator):
        yield from _elements(head, value, "[", _ENCODER.item_separator, "]", encode)
    else:
        yield f"{head}{_dumps(value)}"


def _elements(
    head: str, elements: Iterator[Any], opening: str, separator: str, closing: str, encode: Encode
) -> Iterator[str]:
    """A list: ``[]`` when empty, else ``opening``, the elements apart by ``separator`` (``CHUNK_ELEMENTS`` to a
    string), and ``closing``."""
    first = next(elements, _END)
    if first is _END:
        yield f"{head}[]"
        return
    yield f"{head}{opening}{encode(first)}"
    while batch := list(islice(elements, CHUNK_ELEMENTS)):
        yield separator + separator.join(map(encode, batch))
    yield closing


def json_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.json`` minutes: UTF-8 text, sorted keys, one line per item, person, vote ...; a final newline."""
    members = _members(view)
    members["items"] = iter(view.items)  # each written out by _item_json
    encoders = {**_ENCODERS, "items": _item_json}
    yield "{\n"
    for index, key in enumerate(sorted(members)):
        if index:
            yield ",\n"
        yield from _member(key, members[key], encoders.get(key, _dumps))
    yield "\n}\n"


def render_json(view: MinutesView) -> str:
    """The ``.json`` minutes as one string."""
    return "".join(json_chunks(view))
