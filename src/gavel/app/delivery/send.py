"""Moving one delivery: mail with smtplib (in a thread: it blocks), webhooks with aiohttp. Either succeeds or raises
``DeliveryError``."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr

from gavel.app.config.delivery_model import MailConfig
from gavel.app.config.model import Config
from gavel.app.delivery.record import Delivery, DeliveryError

log = logging.getLogger("gavel.delivery")

SIGNATURE_HEADER = "X-Gavel-Signature"
WEBHOOK_TIMEOUT = 30.0


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of body>``: what a receiver recomputes to trust a POST."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Sender:
    """Sends deliveries with the configured SMTP server and webhook secrets (never stored in the outbox)."""

    mail: MailConfig | None
    secrets: Mapping[str, str] = field(default_factory=dict)  # webhook URL -> secret
    ssl_context: ssl.SSLContext | None = None  # None: the system's CAs

    async def send(self, delivery: Delivery) -> None:
        if delivery.kind == "mail":
            await asyncio.to_thread(self._mail, delivery)
        else:
            await self._post(delivery)

    def _mail(self, delivery: Delivery) -> None:
        mail = self.mail
        if mail is None:
            raise DeliveryError("no [mail] server is configured")
        try:
            context = self.ssl_context or ssl.create_default_context(cafile=mail.ca_file)
            if mail.tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    mail.host, mail.port, timeout=mail.timeout_seconds, context=context
                )
            else:
                smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
            with smtp:
                if mail.starttls:
                    smtp.starttls(context=context)
                if mail.user is not None and mail.password is not None:
                    smtp.login(mail.user, mail.password)
                refused = smtp.sendmail(parseaddr(mail.sender)[1], list(delivery.to), delivery.body.encode("ascii"))
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"mail to {', '.join(delivery.to)} via {mail.host}:{mail.port}: {error}") from error
        if refused:  # the others took it: a retry would repeat it to them; the refusals are for a person to read
            log.error("mail of meeting %s: recipients refused: %s", delivery.meeting_id, ", ".join(sorted(refused)))

    async def _post(self, delivery: Delivery) -> None:
        secret = self.secrets.get(delivery.url)
        if secret is None:
            raise DeliveryError(f"{delivery.url} is not a configured webhook (no secret to sign with)")
        body = delivery.body.encode("ascii")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)}
        headers["X-Gavel-Meeting"] = delivery.meeting_id
        import aiohttp  # only a bot that posts webhooks loads it

        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(delivery.url, data=body, headers=headers, allow_redirects=False) as response,
            ):
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DeliveryError(f"POST {delivery.url}: {error!r}") from error
        if not 200 <= status < 300:
            raise DeliveryError(f"POST {delivery.url}: HTTP {status}")


def configured_sender(config: Config) -> Sender:
    """The sender of ``config``: its ``[mail]`` server and the secret of each ``[[deliver]]`` webhook."""
    secrets = {rule.webhook: rule.webhook_secret for rule in config.deliver if rule.webhook and rule.webhook_secret}
    return Sender(config.mail, secrets)
