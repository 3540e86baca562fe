"""The ``[mail]`` and ``[[deliver]]`` tables: where the minutes of each ended meeting are sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from gavel.app.config.setting import setting

SUBMISSION_PORT: Final = 587  # STARTTLS
SMTPS_PORT: Final = 465  # TLS from the start
SMTP_PORT: Final = 25  # plain (loopback only)
LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True, slots=True)
class MailConfig:
    host: str = field(metadata=setting("The SMTP server that sends the minutes (a host name or address)."))
    sender: str = field(
        metadata=setting(
            'The `From:` of each mail, e.g. `"gavel <meetbot@example.org>"`; its address is also the envelope sender.',
            key="from",
        )
    )
    port: int = field(
        default=SUBMISSION_PORT,
        metadata=setting(
            "The server's port.",
            minimum=1,
            maximum=65535,
            shown_default=f"`{SUBMISSION_PORT}` with `starttls`, `{SMTPS_PORT}` with `tls`, `{SMTP_PORT}` plain",
        ),
    )
    starttls: bool = field(
        default=False,
        metadata=setting("Connect in plain text, then upgrade with STARTTLS (port 587); the certificate is checked."),
    )
    tls: bool = field(
        default=False,
        metadata=setting(
            "Connect with TLS from the start (port 465). Neither `tls` nor `starttls`: plain SMTP, which is refused "
            "unless `host` is the loopback (`127.0.0.1`, `::1`, `localhost`: a local relay)."
        ),
    )
    user: str | None = field(default=None, metadata=setting("Log in with this user name (needs `password`)."))
    password: str | None = field(
        default=None, repr=False, metadata=setting("The password for `user` (give it as `password_env`).", secret=True)
    )
    timeout_seconds: float = field(
        default=30.0,
        metadata=setting("Give up one attempt after this long (it is retried later).", minimum=0, exclusive=True),
    )
    ca_file: Path | None = field(
        default=None,
        metadata=setting(
            "A PEM file of CA certificates to check the server's certificate against instead of the system's (a "
            "server with a private CA; the tests' self-signed server). Must exist. Needs `tls` or `starttls`.",
            shown_default="system CAs",
            must_exist=True,
        ),
    )


@dataclass(frozen=True, slots=True)
class DeliverConfig:
    series: tuple[str, ...] = field(
        default=(),
        metadata=setting(
            "The meetings (by meeting name, case-insensitively) this rule delivers. Omitted: every meeting.",
            kind="array of strings",
            shown_default="every meeting",
        ),
    )
    mail_to: tuple[str, ...] = field(
        default=(),
        metadata=setting(
            "Mail the minutes (text, with the HTML minutes as an alternative) to these addresses; needs `[mail]`.",
            kind="array of addresses",
            shown_default="no mail",
        ),
    )
    webhook: str | None = field(
        default=None,
        metadata=setting(
            "POST the JSON minutes (with their URLs) to this URL; any 2xx answer is success. `http:` only to the "
            "loopback.",
            kind="http(s) URL",
        ),
    )
    webhook_secret: str | None = field(
        default=None,
        repr=False,
        metadata=setting(
            "Signs each POST: `X-Gavel-Signature: sha256=<hex HMAC-SHA256 of the body>` (required with `webhook`).",
            secret=True,
        ),
    )

    def wants(self, name: str) -> bool:
        """Whether this rule delivers the meeting named ``name``."""
        return not self.series or name.casefold() in {series.casefold() for series in self.series}
