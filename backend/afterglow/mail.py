"""Sending one email over SMTP (`aiosmtplib`), and what the server's answer means for it.

Used for safety escalations to staff with no device that takes notifications. A send never
raises: whatever goes wrong is that message's outcome (sent, try again later, or refused), so
one recipient's failure never stops the others. Configured by the AFTERGLOW_SMTP_* settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum
from urllib.parse import urlsplit

import aiosmtplib

from afterglow.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0


class MailOutcome(StrEnum):
    SENT = "sent"  # the server accepted it for delivery
    RETRY = "retry"  # no answer, a dropped connection or a 4xx: try again later
    REFUSED = "refused"  # a 5xx (recipient, sender, sign-in): trying again will not help
    NOT_SET_UP = "not_set_up"  # no AFTERGLOW_SMTP_HOST on this server


@dataclass(frozen=True)
class MailResult:
    outcome: MailOutcome
    error: str | None = None


@dataclass(frozen=True)
class Mailer:
    """Where email goes (None: nowhere) and the address links in emails point to."""

    host: str | None
    port: int
    sender: str
    public_url: str
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_seconds: float = TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        domain = urlsplit(settings.public_url).hostname or "localhost"
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from or formataddr(("Afterglow", f"afterglow@{domain}")),
            public_url=settings.public_url,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    @classmethod
    def not_set_up(cls, public_url: str = "http://127.0.0.1:8000") -> Mailer:
        return cls(host=None, port=0, sender="afterglow@localhost", public_url=public_url)

    @property
    def set_up(self) -> bool:
        return bool(self.host)

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain=urlsplit(self.public_url).hostname)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    async def send(self, message: EmailMessage) -> MailResult:
        """Send one message; never raises (but for cancellation)."""
        if not self.host:
            return MailResult(
                MailOutcome.NOT_SET_UP, "email is not set up on this server (AFTERGLOW_SMTP_HOST)"
            )
        implicit_tls = self.port == 465
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=implicit_tls,
                start_tls=self.starttls and not implicit_tls,
                timeout=self.timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            outcome = (
                MailOutcome.RETRY if codes and all(c < 500 for c in codes) else MailOutcome.REFUSED
            )
            return MailResult(outcome, _described(error, f"recipient refused ({codes})"))
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                log.error(
                    "the SMTP server %s refused an email with %s: check AFTERGLOW_SMTP_*",
                    self.host,
                    error.code,
                )
                return MailResult(MailOutcome.REFUSED, _described(error, f"refused: {error.code}"))
            return MailResult(MailOutcome.RETRY, _described(error, f"answered {error.code}"))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            return MailResult(MailOutcome.RETRY, _described(error, "no answer"))
        except Exception as error:
            # A message the library cannot send at all (an address it cannot encode...).
            log.warning("an email could not be sent (%s)", type(error).__name__, exc_info=error)
            return MailResult(MailOutcome.REFUSED, _described(error, "could not be sent"))
        return MailResult(MailOutcome.SENT)


def _described(error: Exception, fallback: str) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return (text if str(error) else f"{type(error).__name__}: {fallback}")[:300]
