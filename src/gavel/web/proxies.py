"""Trusted reverse proxies: only a request whose peer is one of them may say who the client is
(``X-Forwarded-For``, ``X-Forwarded-Proto``) or who the user is (the ``--trust-user-header`` header)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
PEER_TRUSTED = "gavel.peer_trusted"  # the scope key: True when the peer is a trusted proxy


def parse_network(text: str) -> Network:
    """``ADDR`` or ``ADDR/BITS`` (IPv4 or IPv6); a ``ValueError`` names what is wrong."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"--trusted-proxy {text!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None


def parse_address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def trusted(address: Address | None, networks: Iterable[Network]) -> bool:
    return address is not None and any(address in network for network in networks)


def forwarded_client(values: Sequence[str], networks: Sequence[Network]) -> Address | None:
    """The client named by ``X-Forwarded-For`` headers: the nearest address that is not a trusted proxy (each
    proxy appends its peer, so everything left of that could have been written by the client). An entry that
    is not an address ends the walk at the last good one."""
    hops = [hop for value in values for hop in value.split(",")]
    client: Address | None = None
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not trusted(address, networks):
            break
    return client


class TrustedProxies:
    """ASGI middleware. For a request from a trusted proxy: the client address (``scope["client"]``, which the
    throttle and uvicorn's access log use) from ``X-Forwarded-For`` and the scheme from ``X-Forwarded-Proto``;
    ``scope[PEER_TRUSTED]`` says whether the peer is trusted. Requests from anyone else are left as they are."""

    def __init__(self, app: ASGIApp, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = scope.get("client")
            is_trusted = peer is not None and trusted(parse_address(peer[0]), self.networks)
            scope[PEER_TRUSTED] = is_trusted
            if is_trusted:
                headers = Headers(scope=scope)
                client = forwarded_client(headers.getlist("x-forwarded-for"), self.networks)
                if client is not None:
                    scope["client"] = (str(client), 0)
                proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
