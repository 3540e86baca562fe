"""What a posted form sends: a small urlencoded body, and a ``next`` path that must stay on this site."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.requests import Request

from gavel.web.data import Urls

MAX_FORM_BYTES = 4096


async def read_form(request: Request) -> dict[str, str]:
    """A small ``application/x-www-form-urlencoded`` body (anything over ``MAX_FORM_BYTES`` is a 413)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "form too large")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:
        raise HTTPException(400, "bad form") from None
    return {name: values[-1] for name, values in fields.items()}


def local_path(value: str, urls: Urls) -> str:
    """``value`` if it is a path on this site (never another host: ``//evil``, ``/\\evil``), else the home page."""
    if value.startswith("/") and not value.startswith(("//", "/\\")) and value.isprintable() and len(value) < 2000:
        return value
    return urls.home()
