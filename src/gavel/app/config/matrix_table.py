"""One ``[[matrix]]`` table: a Matrix account on a homeserver and the rooms it serves."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from gavel.app.config.context import describe
from gavel.app.config.model import MatrixConfig
from gavel.app.config.table import ABSENT, Table

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_USER_ID = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_ROOM = re.compile(r"#[^\s:]+:[A-Za-z0-9.-]+(:[0-9]{1,5})?|![^\s:]+(:[A-Za-z0-9.-]+(:[0-9]{1,5})?)?")
# (room version 12 ids name no server: "!abc...")


def read_matrix(t: Table) -> MatrixConfig | None:
    """The account, or None when a required key is missing or invalid (each a problem recorded)."""
    name = t.string("name")
    if name is not None and not _NAME.fullmatch(name):
        t.problem("name", f"must be letters, digits, '.', '_' or '-' (got {name!r})")
    homeserver = t.string("homeserver")
    if homeserver is not None:
        parts = urlsplit(homeserver)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            t.problem("homeserver", f"must be an http(s) URL such as https://matrix.example.org (got {homeserver!r})")
        elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            t.ctx.warn(t.at("homeserver"), "http: the access token is sent unencrypted")
    user_id = t.string("user_id")
    if user_id is not None and not _USER_ID.fullmatch(user_id):
        t.problem("user_id", f"must be a Matrix user id such as @meetbot:example.org (got {user_id!r})")
    token = t.secret("access_token")
    if token is None and not t.has("access_token") and not t.has("access_token_env"):
        t.problem("access_token_env", 'missing: the account needs an access token (access_token_env = "VAR")')
    rooms = _rooms(t)
    power_level_chairs = t.integer("power_level_chairs")
    if name is None or homeserver is None or user_id is None or token is None or not rooms:
        return None
    return MatrixConfig(
        name=name,
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        access_token=token,
        rooms=rooms,
        power_level_chairs=power_level_chairs,
    )


def _rooms(t: Table) -> tuple[str, ...]:
    raw = t.raw("rooms")
    if raw is ABSENT:
        t.problem("rooms", "missing: at least one room is required")
        return ()
    if not isinstance(raw, list) or not raw:
        t.problem("rooms", f"must be a non-empty array of room aliases or ids (got {describe(raw)})")
        return ()
    rooms: list[str] = []
    for index, room in enumerate(raw):
        if not isinstance(room, str) or not _ROOM.fullmatch(room):
            t.problem(
                f"rooms[{index}]", f"must be a room alias (#room:server) or id (!id:server or !id) (got {room!r})"
            )
        elif room in rooms:
            t.problem(f"rooms[{index}]", f"{room} is listed twice")
        else:
            rooms.append(room)
    return tuple(rooms)
