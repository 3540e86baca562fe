"""What is sent for an ended meeting: the mail and the webhook body, made from the minutes the files were written from.

Pure: the same written meeting gives the same deliveries (names, ``Message-ID``, bodies), so a meeting delivered
again after a crash is recognisably the same message.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from gavel.app.config.delivery_model import DeliverConfig, MailConfig
from gavel.app.delivery.record import Delivery
from gavel.app.output_tree import WrittenMeeting
from gavel.render.minutes import render_html, render_text
from gavel.render.minutes_json import as_data
from gavel.render.view import MinutesView

MEETING_HEADER = "X-Gavel-Meeting"


def deliveries(written: WrittenMeeting, rules: Sequence[DeliverConfig], mail: MailConfig | None) -> list[Delivery]:
    """The deliveries of one ended meeting: none for a restricted or unfinished meeting."""
    view = written.view
    if view.restricted or written.unfinished:
        return []
    meeting_id = view.meeting_id or written.basename.replace("/", "_")
    found: list[Delivery] = []
    for index, rule in enumerate(rules):
        if not rule.wants(view.name):
            continue
        if rule.mail_to and mail is not None:
            name = f"{meeting_id}.{index}.mail"
            message = mail_message(written, meeting_id, f"{meeting_id}.{index}", mail.sender, rule.mail_to)
            found.append(Delivery(name, meeting_id, "mail", message, to=rule.mail_to))
        if rule.webhook:
            body = webhook_body(written, meeting_id)
            found.append(Delivery(f"{meeting_id}.{index}.webhook", meeting_id, "webhook", body, url=rule.webhook))
    return found


def urls(written: WrittenMeeting) -> dict[str, str]:
    """The URL of each file written, by format (``html``, ``txt``, ``log.html`` ...); none without a URL base."""
    if not written.url:
        return {}
    stem = written.basename.rsplit("/", 1)[-1]
    found: dict[str, str] = {}
    for path in written.paths:
        extension = path.name[len(stem) :] if path.name.startswith(stem) else path.suffix
        found[extension.lstrip(".")] = written.url + extension
    return found


def subject(view: MinutesView) -> str:
    """``nova meeting minutes, 2024-05-01`` (and the title, if set)."""
    text = f"{view.name} meeting minutes, {view.started_at:%Y-%m-%d}"
    if view.title and view.title.casefold() != view.name.casefold():
        text += f": {view.title}"
    return " ".join(text.split())  # a header is one line


def mail_message(written: WrittenMeeting, meeting_id: str, message_key: str, sender: str, to: Sequence[str]) -> str:
    """The whole mail: the text minutes (links first) with the HTML minutes as an alternative, as ASCII."""
    view = written.view
    links = urls(written)
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject(view)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(view.ended_at or view.started_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "gavel.invalid"
    message["Message-ID"] = f"<gavel.{message_key}@{domain}>"
    message[MEETING_HEADER] = meeting_id
    head = [f"{label}: {links[key]}" for key, label in _LINKS if key in links]
    text = "\n".join([*head, "", render_text(view)]) if head else render_text(view)
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    absolute = dataclasses.replace(view, log_href=view.log_url) if view.log_url else view
    message.add_alternative(render_html(absolute), subtype="html", charset="utf-8", cte="quoted-printable")
    message.set_boundary(f"=_gavel.{message_key}")  # never in quoted-printable text ("=" is "=3D" there)
    return message.as_string()


_LINKS = (("html", "Minutes"), ("txt", "Minutes (text)"), ("log.html", "Full log"), ("log.txt", "Full log (text)"))


def webhook_body(written: WrittenMeeting, meeting_id: str) -> str:
    """The JSON document POSTed: the meeting's id, its files' URLs and the JSON minutes."""
    document = {"meeting_id": meeting_id, "urls": urls(written), "minutes": as_data(written.view)}
    return json.dumps(document, ensure_ascii=True, sort_keys=True)
