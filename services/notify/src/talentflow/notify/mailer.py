"""Send a rendered message by SMTP (aiosmtplib) as multipart text + HTML.

Errors never carry the address or the server's reply text (both may hold personal data):
`PermanentDeliveryError` means the server refused this message for good (a 5xx reply to the
recipient or the data), so retrying cannot help; `MailServerUnavailable` is everything else
(connection refused, timeouts, 4xx, authentication), which the consumer runner retries.
Neither is a `ServiceError`: the runner must retry the second, and the first is recorded as a
failed delivery by the caller.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from talentflow.notify.config import Settings
from talentflow.notify.rendering import RenderedMessage


class PermanentDeliveryError(Exception):
    """The SMTP server refused the message for good; `reason` holds codes only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MailServerUnavailable(Exception):
    """The message could not be handed to the SMTP server now; try again later."""


def is_valid_address(address: str) -> bool:
    """True for one plain `local@domain` address (no display name, no header tricks)."""
    if not address or any(ch.isspace() or ord(ch) < 32 for ch in address):
        return False
    try:
        parsed = Address(addr_spec=address)
    except Exception:
        return False
    return bool(parsed.username) and "." in parsed.domain


class Mailer:
    """Hands messages to the configured SMTP server, one connection per message."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        sender = parseaddr(settings.smtp_from)[1]
        self._domain = sender.rpartition("@")[2] or "talentflow.dev"

    def build(self, rendered: RenderedMessage, *, to: str, message_key: str) -> EmailMessage:
        """The MIME message; `message_key` makes the Message-ID stable across retries."""
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = self._settings.smtp_from
        message["To"] = to
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{message_key}@{self._domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        # After the content: setting the content clears Content-* headers.
        message["Content-Language"] = rendered.locale
        return message

    async def send(self, rendered: RenderedMessage, *, to: str, message_key: str) -> None:
        """Deliver to the SMTP server; raise PermanentDeliveryError or MailServerUnavailable."""
        s = self._settings
        message = self.build(rendered, to=to, message_key=message_key)
        try:
            await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                start_tls=s.smtp_starttls,
                timeout=s.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = sorted({refused.code for refused in exc.recipients})
            reason = "recipient refused (" + ", ".join(map(str, codes)) + ")"
            if all(code >= 500 for code in codes):
                raise PermanentDeliveryError(reason) from None
            raise MailServerUnavailable(reason) from None
        except aiosmtplib.SMTPDataError as exc:
            if exc.code >= 500:
                raise PermanentDeliveryError(f"message refused ({exc.code})") from None
            raise MailServerUnavailable(f"message deferred ({exc.code})") from None
        except aiosmtplib.SMTPResponseException as exc:
            raise MailServerUnavailable(f"{type(exc).__name__} ({exc.code})") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise MailServerUnavailable(type(exc).__name__) from None
