"""The SMTP sink: every accepted message becomes one parseable .eml file."""

from __future__ import annotations

import email
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from talentflow.devstack.broker import free_port
from talentflow.devstack.smtp_sink import SmtpSink


def _message(subject: str, to: str = "alex.morgan@example.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Talentflow <no-reply@example.com>"
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content("Hallo Alex,\n\nthanks for the interview. 你好!\n")
    return msg


def _send(port: int, msg: EmailMessage, bcc: list[str] | None = None) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(msg, to_addrs=[str(msg["To"]), *(bcc or [])])


class TestSmtpSink:
    def test_a_received_message_is_written_as_a_parseable_eml(self, tmp_path: Path) -> None:
        mail_dir = tmp_path / "mail"
        with SmtpSink(mail_dir, port=0) as sink:
            _send(sink.port, _message("Your interview result: next steps"), ["hr@example.com"])
            files = sink.messages()

        assert len(files) == 1
        assert files[0].suffix == ".eml"
        parsed = email.message_from_bytes(files[0].read_bytes(), policy=default)
        assert parsed["Subject"] == "Your interview result: next steps"
        assert parsed["To"] == "alex.morgan@example.com"
        assert "hr@example.com" in parsed["X-Envelope-To"]
        assert parsed["X-Envelope-From"] == "<no-reply@example.com>"
        body = parsed.get_body(preferencelist=("plain",))
        assert body is not None
        assert "你好" in body.get_content()
        assert [p.name for p in mail_dir.iterdir()] == [files[0].name]  # no temporary left

    def test_each_message_gets_its_own_file_in_arrival_order(self, tmp_path: Path) -> None:
        with SmtpSink(tmp_path, port=0) as sink:
            for n in range(3):
                _send(sink.port, _message(f"message {n}"))
            files = sink.messages()

        subjects = [
            email.message_from_bytes(f.read_bytes(), policy=default)["Subject"] for f in files
        ]
        assert subjects == ["message 0", "message 1", "message 2"]
        assert [f.name.split("-")[1] for f in files] == ["000001.eml", "000002.eml", "000003.eml"]

    def test_stop_releases_the_port(self, tmp_path: Path) -> None:
        sink = SmtpSink(tmp_path, port=0).start()
        port = sink.port
        sink.stop()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))


class TestSmtpSinkCommand:
    def test_talentflow_dev_smtp_sink_receives_and_stops_on_sigterm(self, tmp_path: Path) -> None:
        port = free_port()
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "talentflow.devstack.cli",
                "smtp-sink",
                "--port",
                str(port),
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
                    assert time.monotonic() < deadline, "the sink did not listen"
                    time.sleep(0.1)
            _send(port, _message("from the command"))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
        files = sorted(tmp_path.glob("*.eml"))
        assert len(files) == 1
        assert email.message_from_bytes(files[0].read_bytes())["Subject"] == "from the command"
