"""The SMTP mailer against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from talentflow.common.events import ScreeningDecisionMade
from talentflow.notify.config import Settings
from talentflow.notify.content import message_context
from talentflow.notify.mailer import (
    Mailer,
    MailServerUnavailable,
    PermanentDeliveryError,
    is_valid_address,
)
from talentflow.notify.rendering import RenderedMessage, render


def mailer_for(port: int) -> Mailer:
    return Mailer(Settings(environment="test", smtp_port=port, smtp_timeout_s=5))


@pytest.fixture
def message(make_decision: Callable[..., ScreeningDecisionMade]) -> RenderedMessage:
    event = make_decision(outcome="reject", locale="zh-CN", name="李雷")
    return render("reject", "zh-CN", message_context(event, "zh-CN"))


class TestMailer:
    async def test_sends_one_multipart_text_and_html_message(
        self, smtp: Any, message: RenderedMessage
    ) -> None:
        await mailer_for(smtp.port).send(message, to="li@example.com", message_key="d-1.reject")
        [(rcpts, mail)] = smtp.messages
        assert rcpts == ["li@example.com"]
        assert mail["To"] == "li@example.com"
        assert mail["From"] == "Talentflow <no-reply@talentflow.dev>"
        assert mail["Subject"] == message.subject  # non-ASCII survives the header encoding
        assert mail["Message-ID"] == "<d-1.reject@talentflow.dev>"
        assert mail["Content-Language"] == "zh-CN"
        assert mail.get_content_type() == "multipart/alternative"
        text, html = (mail.get_body((kind,)) for kind in ("plain", "html"))
        assert text is not None and html is not None
        assert text.get_content().replace("\r\n", "\n") == message.text
        assert html.get_content().replace("\r\n", "\n") == message.html

    async def test_a_refused_recipient_is_permanent_and_names_no_address(
        self, smtp: Any, message: RenderedMessage
    ) -> None:
        smtp.refuse.add("gone@example.com")
        with pytest.raises(PermanentDeliveryError) as caught:
            await mailer_for(smtp.port).send(message, to="gone@example.com", message_key="k")
        assert caught.value.reason == "recipient refused (550)"
        assert "gone@" not in str(caught.value) and caught.value.__cause__ is None
        assert smtp.messages == []

    async def test_a_server_that_is_down_is_unavailable(
        self, smtp_down: Any, message: RenderedMessage
    ) -> None:
        with pytest.raises(MailServerUnavailable):
            await mailer_for(smtp_down.port).send(message, to="li@example.com", message_key="k")


class TestIsValidAddress:
    @pytest.mark.parametrize(
        ("address", "valid"),
        [
            ("ada@example.com", True),
            ("li.lei+jobs@例子.cn", True),
            ("ada", False),
            ("ada@localhost", False),
            ("ada @example.com", False),
            ("ada@example.com\r\nBcc: x@example.com", False),
            ("Ada <ada@example.com>", False),
            ("", False),
        ],
    )
    def test_accepts_plain_addresses_only(self, address: str, valid: bool) -> None:
        assert is_valid_address(address) is valid
