"""``.json`` minutes: the whole view as data, for tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from gavel.render.links import iso
from gavel.render.view import ItemView, MinutesView, VoteView


def _item(item: ItemView) -> dict[str, Any]:
    return {
        "kind": item.kind,
        "text": item.text,
        "nick": item.nick,
        "time": iso(item.time),
        "topic": item.topic,
        "line": item.line,
    }


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


def as_data(view: MinutesView) -> dict[str, Any]:
    """The minutes as plain JSON-able data."""
    return {
        "generator": view.generator,
        "meeting": {
            "name": view.name,
            "channel": view.channel,
            "title": view.title,
            "owner": view.owner,
            "chairs": list(view.chairs),
            "started_at": iso(view.started_at),
            "ended_at": iso(view.ended_at) if view.ended_at is not None else None,
            "unfinished": view.unfinished,
            "unfinished_at": iso(view.unfinished_at) if view.unfinished_at is not None else None,
            "restricted": view.restricted,
            "log_basename": view.log_basename,
            "log_url": view.log_url,
        },
        "topics": [{"title": t.text, "nick": t.nick, "time": iso(t.time), "line": t.line} for t in view.topics],
        "items": [_item(item) for item in view.items],
        "actions": [item.text for item in view.actions],
        "actions_by_person": {owner.nick: [item.text for item in owner.actions] for owner in view.actions_by_person},
        "unassigned_actions": [item.text for item in view.unassigned_actions],
        "people": [{"nick": person.nick, "lines": person.lines} for person in view.people],
        "votes": [_vote(vote) for vote in view.votes],
    }


_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def _member(key: str, value: Any) -> Iterator[str]:
    """One top-level member: a list or an object gets one line per element (readable, and fast: each line is
    encoded by the C encoder, which ``indent=`` would turn off)."""
    if isinstance(value, list) and value:
        yield f"  {_dumps(key)}: [\n"
        last = len(value) - 1
        for index, element in enumerate(value):
            yield f"    {_dumps(element)}{',' if index < last else ''}\n"
        yield "  ]"
    elif isinstance(value, dict) and value:
        body = ",\n    ".join(f"{_dumps(name)}: {_dumps(value[name])}" for name in sorted(value))
        yield f"  {_dumps(key)}: {{\n    {body}\n  }}"
    else:
        yield f"  {_dumps(key)}: {_dumps(value)}"


def json_chunks(view: MinutesView) -> Iterator[str]:
    """The ``.json`` minutes: UTF-8 text, sorted keys, one line per item, person, vote ...; a final newline."""
    data = as_data(view)
    yield "{\n"
    for index, key in enumerate(sorted(data)):
        if index:
            yield ",\n"
        yield from _member(key, data[key])
    yield "\n}\n"


def render_json(view: MinutesView) -> str:
    """The ``.json`` minutes as one string."""
    return "".join(json_chunks(view))
