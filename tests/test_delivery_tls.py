"""Mail over STARTTLS and over TLS from the start (port 465 style) to a real aiosmtpd with a self-signed certificate
made here (openssl): the client checks the certificate against ``ca_file``; a certificate it does not trust is a
clear error and the delivery stays in the outbox."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from delivery_support import MailBox, free_port
from gavel.app.config import ConfigError, load_config
from gavel.app.config.delivery_model import MailConfig
from gavel.app.delivery.courier import Courier
from gavel.app.delivery.outbox import Outbox
from gavel.app.delivery.record import Delivery, DeliveryError
from gavel.app.delivery.send import Sender

MESSAGE = "From: gavel <meetbot@example.org>\r\nTo: list@example.org\r\nSubject: minutes\r\n\r\nthe minutes\r\n"
DELIVERY = Delivery("m1.0.mail", "m1", "mail", MESSAGE, to=("list@example.org",))


def certificate(directory: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days",
         "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
         str(cert)],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


class TlsMailBox(MailBox):
    """Keeps messages only when they came over TLS."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transport = server.transport
        over_tls = session.ssl is not None or (transport is not None and transport.get_extra_info("ssl_object"))
        if not over_tls:  # session.ssl: after STARTTLS; the transport's: TLS from the start
            return "530 TLS required"
        return await super().handle_DATA(server, session, envelope)


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("certs")
    cert, key = certificate(directory, "server")
    other, _ = certificate(directory, "other")
    return {"cert": cert, "key": key, "other": other}


def mail(port: int, ca_file: Path | None, *, tls: bool = False, starttls: bool = False) -> MailConfig:
    return MailConfig(
        host="127.0.0.1",
        sender="gavel <meetbot@example.org>",
        port=port,
        tls=tls,
        starttls=starttls,
        ca_file=ca_file,
        timeout_seconds=10,
    )


def starttls_server(port: int, certs: dict[str, Path], box: MailBox) -> Controller:
    context = server_context(certs["cert"], certs["key"])
    return Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)


def tls_server(port: int, certs: dict[str, Path], box: MailBox) -> Controller:
    return Controller(box, hostname="127.0.0.1", port=port, ssl_context=server_context(certs["cert"], certs["key"]))


@pytest.mark.parametrize("style", ["starttls", "tls"])
def test_mail_over_tls_checks_the_certificate(certs: dict[str, Path], style: str) -> None:
    port, box = free_port(), TlsMailBox()
    controller = (starttls_server if style == "starttls" else tls_server)(port, certs, box)
    controller.start()
    try:
        config = mail(port, certs["cert"], tls=style == "tls", starttls=style == "starttls")
        asyncio.run(Sender(config).send(DELIVERY))
    finally:
        controller.stop()
    [(recipients, message)] = box.messages
    assert recipients == ["list@example.org"] and message["Subject"] == "minutes"


@pytest.mark.parametrize("style", ["starttls", "tls"])
def test_an_untrusted_certificate_is_refused_and_the_delivery_stays(
    certs: dict[str, Path], style: str, tmp_path: Path
) -> None:
    port, box = free_port(), TlsMailBox()
    controller = (starttls_server if style == "starttls" else tls_server)(port, certs, box)
    controller.start()
    outbox = Outbox(tmp_path / "deliveries")
    try:
        config = mail(port, certs["other"], tls=style == "tls", starttls=style == "starttls")
        with pytest.raises(DeliveryError, match=r"127\.0\.0\.1:\d+: .*CERTIFICATE_VERIFY_FAILED"):
            asyncio.run(Sender(config).send(DELIVERY))

        async def courier_run() -> None:
            courier = Courier(outbox, Sender(config), first_retry=0.05, max_retry=0.1)
            courier.start()
            courier.put([DELIVERY])
            await asyncio.sleep(0.5)  # several attempts
            await courier.stop()

        asyncio.run(courier_run())
    finally:
        controller.stop()
    assert box.messages == []
    assert [d.name for d in outbox.pending()] == [DELIVERY.name]


def test_starttls_to_a_server_without_it_is_a_clear_error(certs: dict[str, Path]) -> None:
    port = free_port()
    controller = Controller(MailBox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(DeliveryError, match="STARTTLS extension not supported"):
            asyncio.run(Sender(mail(port, certs["cert"], starttls=True)).send(DELIVERY))
    finally:
        controller.stop()


def test_ca_file_settings(tmp_path: Path, certs: dict[str, Path]) -> None:
    def problems(mail_table: str) -> list[str]:
        path = tmp_path / "gavel.toml"
        path.write_text(
            f"""
[bot]
nick = "gavel"
output_dir = "{tmp_path / "out"}"
journal_dir = "{tmp_path / "journal"}"

[[networks]]
name = "test"
host = "127.0.0.1"
channels = ["#meet"]

[mail]
from = "gavel <meetbot@example.org>"
{mail_table}

[[deliver]]
mail_to = ["list@example.org"]
""",
            encoding="utf-8",
        )
        try:
            config = load_config(path, {})
        except ConfigError as error:
            return list(error.problems)
        assert config.mail is not None and config.mail.ca_file == certs["cert"]
        return []

    assert problems(f'host = "smtp.example.org"\nstarttls = true\nca_file = "{certs["cert"]}"') == []
    [missing] = problems(f'host = "smtp.example.org"\ntls = true\nca_file = "{tmp_path / "nope.pem"}"')
    assert "mail.ca_file" in missing and "no such file" in missing
    [plain] = problems(f'host = "127.0.0.1"\nca_file = "{certs["cert"]}"')
    assert "mail.ca_file" in plain and "needs tls = true or starttls = true" in plain
