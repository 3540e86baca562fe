"""Receivers on loopback for delivery tests: a real SMTP server (aiosmtpd) and an HTTP webhook (aiohttp)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class MailBox:
    """An aiosmtpd handler that keeps every message it accepts."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def smtp_server(port: int) -> tuple[Controller, MailBox]:
    box = MailBox()
    return Controller(box, hostname="127.0.0.1", port=port), box


@dataclass
class Hook:
    """A webhook receiver: checks each POST's signature (401 if wrong) and keeps the documents it accepted."""

    secret: str
    port: int
    documents: list[dict[str, Any]] = field(default_factory=list)
    rejected: int = 0
    runner: web.AppRunner | None = None

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()  # computed here
        if not hmac.compare_digest(request.headers.get("X-Gavel-Signature", ""), expected):
            self.rejected += 1
            return web.Response(status=401)
        self.documents.append(json.loads(body))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._post)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


async def eventually(check: Any, timeout: float = 10.0) -> None:
    """Wait (bounded) until ``check()`` holds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)
