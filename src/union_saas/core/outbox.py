"""Messages that leave the platform (a one-time code by SMS or mail), through the channel the settings name.

``MESSAGE_CHANNEL``:

- ``outbox`` (development and tests): written to the log and, as a file, to ``instance/outbox/``; nothing
  leaves the machine;
- ``sms``: an SMS gateway over HTTP (``SMS_GATEWAY_URL``; a JSON POST ``{phone, text}`` with the bearer
  ``SMS_GATEWAY_TOKEN``: the shape the district's gateway contracts take; adapt ``SmsGateway.send`` to
  another);
- ``mail``: SMTP with Flask-Mail (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
  ``MAIL_USE_TLS``, ``MAIL_DEFAULT_SENDER``), to the person's e-mail address.

``send(to, subject, text)`` raises ``CannotSend`` (a 503 to the caller) when the channel fails or the person
has no address for it.
"""
import json
import logging
import os
import urllib.request
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_mail import Mail, Message

from union_saas.core.errors import DomainError

log = logging.getLogger(__name__)


class CannotSend(DomainError):
    status = 503


@dataclass(frozen=True)
class Recipient:
    name: str
    phone: str | None = None
    email: str | None = None


def send(to: Recipient, subject: str, text: str) -> str:
    """Send ``text`` to ``to`` by the configured channel; returns the channel's name."""
    channel = current_app.config.get("MESSAGE_CHANNEL", "outbox")
    if channel not in CHANNELS:
        raise RuntimeError(f"unknown MESSAGE_CHANNEL {channel!r}: use one of {', '.join(CHANNELS)}")
    CHANNELS[channel](to, subject, text)
    return channel


def _outbox(to, subject, text):
    folder = os.path.join(current_app.instance_path, "outbox")
    os.makedirs(folder, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = os.path.join(folder, f"{stamp}.txt")
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"To: {to.name} <{to.phone or to.email or '-'}>\nSubject: {subject}\n\n{text}\n")
    log.info("outbox: message to %s written to %s: %s", to.phone or to.email or to.name, path, text)


def _sms(to, subject, text):
    url = current_app.config.get("SMS_GATEWAY_URL")
    if not url:
        raise RuntimeError("MESSAGE_CHANNEL is sms but SMS_GATEWAY_URL is not set")
    if not to.phone:
        raise CannotSend(_("No mobile number is on record for this account: ask your union's office."))
    body = json.dumps({"phone": to.phone, "text": f"{subject}: {text}"}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {current_app.config.get('SMS_GATEWAY_TOKEN', '')}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # the operator's own gateway
            if response.status >= 300:
                raise OSError(f"status {response.status}")
    except OSError as error:
        log.warning("the SMS gateway did not take the message: %s", error)
        raise CannotSend(_("The message could not be sent just now; try again in a few minutes.")) from None


def _mail(to, subject, text):
    if not to.email:
        raise CannotSend(_("No e-mail address is on record for this account: ask your union's office."))
    mail = current_app.extensions.get("mail") or Mail(current_app)
    try:
        mail.send(Message(subject=subject, recipients=[to.email], body=text))
    except OSError as error:
        log.warning("the mail server did not take the message: %s", error)
        raise CannotSend(_("The message could not be sent just now; try again in a few minutes.")) from None


CHANNELS = {"outbox": _outbox, "sms": _sms, "mail": _mail}
