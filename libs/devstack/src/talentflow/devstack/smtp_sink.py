"""An SMTP server that delivers nothing: every message it accepts becomes an .eml file.

    talentflow-dev smtp-sink --port 2525 --dir var/dev/mail

or in-process (the development stack runs it in a thread):

    with SmtpSink(Path("var/dev/mail"), port=2525) as sink:
        ...  # send mail to 127.0.0.1:sink.port, read sink.messages()

Each file is named `<UTC timestamp>-<sequence>.eml` and appears atomically (written to a
hidden temporary file in the same folder, then renamed), so a reader never sees half a message.
The envelope sender and recipients are added as `X-Envelope-From` / `X-Envelope-To` headers
(Bcc recipients appear nowhere else).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from talentflow.devstack.broker import free_port


class MailFolder:
    """aiosmtpd handler: writes each message into `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sequence = itertools.count(len(list(directory.glob("*.eml"))) + 1)

    def write(self, mail_from: str, rcpt_tos: list[str], content: bytes) -> Path:
        """Write one message atomically and return its path."""
        with self._lock:
            seq = next(self._sequence)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = self.directory / f"{stamp}-{seq:06d}.eml"
        envelope = (
            f"X-Envelope-From: <{mail_from}>\r\n"
            f"X-Envelope-To: {', '.join(f'<{r}>' for r in rcpt_tos)}\r\n"
        ).encode()
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(envelope)
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Called by aiosmtpd once per message, after the DATA command."""
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        await asyncio.to_thread(
            self.write, str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], content
        )
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink as an object: `start()` listens in a background thread, `stop()` closes."""

    def __init__(self, directory: Path, *, host: str = "127.0.0.1", port: int = 2525) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port or free_port()
        self._controller: Controller | None = None

    def start(self) -> SmtpSink:
        """Listen on host:port; raise OSError when the port cannot be bound."""
        controller = Controller(
            MailFolder(self.directory),
            hostname=self.host,
            port=self.port,
            ready_timeout=10.0,
            server_hostname="talentflow-smtp-sink",
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Path]:
        """The .eml files received so far, oldest first."""
        return sorted(self.directory.glob("*.eml"))

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(directory: Path, *, host: str = "127.0.0.1", port: int = 2525) -> None:
    """Run the sink in the foreground until SIGINT or SIGTERM."""
    import signal

    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    sink = SmtpSink(directory, host=host, port=port).start()
    print(f"SMTP sink on {sink.host}:{sink.port}, writing .eml files to {sink.directory.resolve()}")
    print("Ctrl-C stops it.", flush=True)
    try:
        stop.wait()
    finally:
        sink.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
