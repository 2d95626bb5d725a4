"""The e-mail channel's SMTP server, from the environment, and one message sent through it.

``ZHIBU_SMTP_HOST`` (none: no e-mail is sent; the digests wait), ``ZHIBU_SMTP_PORT`` (587 with STARTTLS, 465
with SSL, 25 without), ``ZHIBU_SMTP_TLS`` (``starttls``, the default; ``ssl``; ``none`` only inside a trusted
network), ``ZHIBU_SMTP_USER`` and ``ZHIBU_SMTP_PASSWORD`` (log in when a user is given), ``ZHIBU_SMTP_FROM``
(the sender address). The server's certificate is verified against the system's authorities.
"""
from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
#: seconds to connect to the server and for each of its answers
TIMEOUT_SECONDS = 30.0


class MailNotConfigured(RuntimeError):
    """ZHIBU_SMTP_HOST is not set: e-mail waits until it is."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_env(cls, environ=os.environ) -> "SmtpSettings":
        host = environ.get("ZHIBU_SMTP_HOST", "").strip()
        if not host:
            raise MailNotConfigured("no SMTP server: set ZHIBU_SMTP_HOST (and _PORT, _TLS, _USER, _PASSWORD, _FROM)")
        tls = environ.get("ZHIBU_SMTP_TLS", "starttls").strip().lower()
        if tls not in TLS_MODES:
            raise ValueError(f"ZHIBU_SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
        port = environ.get("ZHIBU_SMTP_PORT", "").strip()
        return cls(host=host, port=int(port) if port else DEFAULT_PORTS[tls], tls=tls,
                   user=environ.get("ZHIBU_SMTP_USER") or None, password=environ.get("ZHIBU_SMTP_PASSWORD") or None,
                   sender=environ.get("ZHIBU_SMTP_FROM", "").strip() or f"zhibu@{host}")


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server (raises ``smtplib.SMTPException`` or ``OSError`` when it refuses or
    does not answer)."""
    if "From" not in message:
        message["From"] = settings.sender
    context = ssl.create_default_context()
    if settings.tls == "ssl":
        server = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        server = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    with server:
        if settings.tls == "starttls":
            server.starttls(context=context)
        if settings.user:
            server.login(settings.user, settings.password or "")
        server.send_message(message)
