"""Signing and sending the sample result like a vendor does (Standard Webhooks)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from talentflow.devstack.cli import main
from talentflow.devstack.demo import (
    build_credentials,
    dump_json,
    load_or_create_demo,
    new_webhook_secret,
    sample_result,
)
from talentflow.devstack.webhooks import example_snippet, send_sample, signed_request


class _Ingest(BaseHTTPRequestHandler):
    """A stand-in for ingest's webhook route: verifies the signature, records the body."""

    secret = ""
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["content-length"]))
        try:
            body = Webhook(self.secret).verify(data, dict(self.headers.items()))
        except Exception as exc:
            self.send_response(401)
            self.end_headers()
            self.wfile.write(str(exc).encode())
            return
        self.received.append((self.path, body))
        self.send_response(202)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status":"accepted"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def var_dir(tmp_path: Path) -> Iterator[Path]:
    """A var folder as `talentflow-dev run` leaves it, with ingest replaced by a stand-in."""
    demo = load_or_create_demo(tmp_path / "dev" / "demo.json")
    _Ingest.secret = demo.vendor.secret
    _Ingest.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    urls = {"ingest": f"http://127.0.0.1:{server.server_address[1]}"}
    creds = build_credentials(
        demo,
        auth_secret="test-auth-secret-at-least-32-bytes-long",
        services=urls,
        mail_dir=tmp_path / "dev" / "mail",
    )
    (tmp_path / "dev" / "credentials.json").write_text(creds.model_dump_json())
    (tmp_path / "dev" / "sample-result.json").write_text(dump_json(sample_result(demo)))
    yield tmp_path
    server.shutdown()
    server.server_close()


class TestSignedRequest:
    def test_verifies_with_the_standardwebhooks_package(self) -> None:
        secret = new_webhook_secret()
        body = {"result_id": "res_1", "candidate": {"name": "王芳"}}
        data, headers = signed_request(secret, body)

        assert Webhook(secret).verify(data, headers) == body
        assert headers["webhook-id"].startswith("msg_")

    def test_a_different_secret_does_not_verify(self) -> None:
        data, headers = signed_request(new_webhook_secret(), {"a": 1})
        with pytest.raises(Exception, match="signature"):
            Webhook(new_webhook_secret()).verify(data, headers)


class TestSendSample:
    def test_posts_the_signed_sample_with_a_new_result_id_each_time(self, var_dir: Path) -> None:
        stored = json.loads((var_dir / "dev" / "sample-result.json").read_text())
        first = send_sample(var_dir)
        second = send_sample(var_dir)

        assert (first.status_code, second.status_code) == (202, 202)
        [(path, body1), (_, body2)] = _Ingest.received
        demo = load_or_create_demo(var_dir / "dev" / "demo.json")
        assert path == f"/v1/webhooks/{demo.vendor.id}"
        assert len({stored["result_id"], body1["result_id"], body2["result_id"]}) == 3
        assert body1["candidate"] == stored["candidate"]

    def test_the_command_prints_the_status_and_exits_zero(
        self, var_dir: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["send-sample", "--var", str(var_dir)])

        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "-> 202" in out and "accepted" in out

    def test_the_command_explains_a_missing_stack(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        with pytest.raises(SystemExit) as exit_info:
            main(["send-sample", "--var", str(tmp_path)])
        assert exit_info.value.code == 1
        assert "talentflow-dev run" in capsys.readouterr().out

    def test_the_example_snippet_sends_it_too(self, var_dir: Path) -> None:
        import subprocess
        import sys

        snippet = example_snippet(var_dir, sys.executable)
        result = subprocess.run(  # noqa: S603
            ["/bin/bash", "-c", snippet], capture_output=True, text=True, timeout=60, check=False
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("202")
        assert len(_Ingest.received) == 1
