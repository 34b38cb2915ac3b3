"""A real SMTP server on loopback for the tests (aiosmtpd), that keeps what it accepts.

It runs in a thread of its own (aiosmtpd's Controller), so it serves the backend tests' event
loop and the browser tests' server process alike. `refuse(address)` answers 550 for that
recipient; `defer(address)` answers 451 (try again later) until `accept(address)`.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Mail:
    """One message the server accepted, as a mail client would read it."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        return cast(str, self.message.get_content())


class _Handler:
    def __init__(self, server: FakeSmtpServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.server.refused:
            return "550 5.1.1 No such mailbox here"
        if address in self.server.deferred:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        self.server.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeSmtpServer:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.refused: set[str] = set()
        self.deferred: set[str] = set()
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> FakeSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def refuse(self, address: str) -> None:
        self.refused.add(address)

    def defer(self, address: str) -> None:
        self.deferred.add(address)

    def accept(self, address: str) -> None:
        self.deferred.discard(address)
        self.refused.discard(address)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.recipients]

    def env(self) -> dict[str, str]:
        """The AFTERGLOW_SMTP_* settings of a server that sends here."""
        return {
            "AFTERGLOW_SMTP_HOST": "127.0.0.1",
            "AFTERGLOW_SMTP_PORT": str(self.port),
            "AFTERGLOW_SMTP_STARTTLS": "off",
            "AFTERGLOW_SMTP_FROM": "Afterglow <alerts@clinic.example>",
        }
