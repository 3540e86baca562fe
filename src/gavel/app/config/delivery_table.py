"""The ``[mail]`` table and each ``[[deliver]]`` table: their rules beyond the types."""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

from gavel.app.config.context import describe
from gavel.app.config.delivery_model import LOOPBACK, SMTP_PORT, SMTPS_PORT, DeliverConfig, MailConfig
from gavel.app.config.table import ABSENT, CONTROL, Table


def is_address(text: str) -> bool:
    """``text`` is one mail address, bare or with a display name (``gavel <meetbot@example.org>``)."""
    _, address = parseaddr(text)
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not CONTROL.search(text) and " " not in address


def read_mail(t: Table) -> MailConfig | None:
    """The SMTP settings, or None when one is missing or invalid (each a problem recorded)."""
    host = t.string("host")
    sender = t.string("from")
    if sender is not None and not is_address(sender):
        t.problem("from", f'must be a mail address such as "gavel <meetbot@example.org>" (got {sender!r})')
    tls, starttls = t.boolean("tls"), t.boolean("starttls")
    if tls and starttls:
        t.problem("starttls", "set either tls (port 465) or starttls (port 587), not both")
    elif not tls and not starttls and host is not None and host.lower() not in LOOPBACK:
        t.problem(
            "host",
            f"plain SMTP to {host} is refused (the password and the minutes would cross the network unencrypted): "
            "set starttls = true (port 587) or tls = true (port 465); plain SMTP only to 127.0.0.1, ::1 or localhost",
        )
    default_port = t.default("port", int) if starttls else SMTPS_PORT if tls else SMTP_PORT
    port = t.integer("port", default=default_port)
    user, password = t.string("user"), t.secret("password")
    if user is not None and password is None and not t.has("password") and not t.has("password_env"):
        t.problem("password_env", f'missing: user {user!r} needs a password (password_env = "VAR")')
    if password is not None and user is None:
        t.problem("user", "missing: a password needs a user")
    plain = t.remaining()
    if plain.get("ca_file") is not None and not tls and not starttls:
        t.problem("ca_file", "needs tls = true or starttls = true (plain SMTP checks no certificate)")
    if host is None or sender is None or t.ctx.problems:
        return None
    return MailConfig(
        host=host, sender=sender, port=port, tls=tls, starttls=starttls, user=user, password=password, **plain
    )


def read_deliver(t: Table, mail: MailConfig | None, mail_given: bool) -> DeliverConfig | None:
    """One delivery rule, or None when it is invalid (each problem recorded)."""
    series = _strings(t, "series", "meeting names")
    mail_to = _strings(t, "mail_to", "mail addresses")
    for index, address in enumerate(mail_to):
        if not is_address(address):
            t.problem(f"mail_to[{index}]", f"must be a mail address (got {address!r})")
    if mail_to and mail is None and not mail_given:
        t.problem("mail_to", "needs a [mail] table (the SMTP server to send with)")
    webhook = t.string("webhook")
    if webhook is not None:
        parts = urlsplit(webhook)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            t.problem("webhook", f"must be an http(s) URL such as https://hooks.example.org/gavel (got {webhook!r})")
        elif parts.scheme == "http" and parts.hostname not in LOOPBACK:
            t.problem("webhook", "http: is refused except to the loopback (the minutes would cross unencrypted)")
    secret = t.secret("webhook_secret")
    if webhook is not None and secret is None and not t.has("webhook_secret") and not t.has("webhook_secret_env"):
        t.problem("webhook_secret_env", 'missing: a webhook needs a secret to sign with (webhook_secret_env = "VAR")')
    if secret is not None and webhook is None:
        t.problem("webhook", "missing: webhook_secret is set but there is no webhook")
    if not mail_to and webhook is None and not t.has("mail_to") and not t.has("webhook"):
        t.problem("mail_to", "missing: a [[deliver]] table needs mail_to, webhook or both")
    return DeliverConfig(series=series, mail_to=mail_to, webhook=webhook, webhook_secret=secret)


def _strings(t: Table, key: str, what: str) -> tuple[str, ...]:
    raw = t.raw(key)
    if raw is ABSENT:
        return ()
    if not isinstance(raw, list) or not raw:
        t.problem(key, f"must be a non-empty array of {what} (got {describe(raw)})")
        return ()
    found: list[str] = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or not item.strip() or CONTROL.search(item):
            t.problem(
                f"{key}[{index}]", f"must be a non-empty string without control characters (got {describe(item)})"
            )
        elif item in found:
            t.problem(f"{key}[{index}]", f"{item!r} is listed twice")
        else:
            found.append(item)
    return tuple(found)
