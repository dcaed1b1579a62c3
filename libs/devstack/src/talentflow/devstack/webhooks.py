"""Send a vendor result to ingest the way a vendor does: signed with Standard Webhooks.

`talentflow-dev send-sample` posts var/dev/sample-result.json with a new result_id each time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

from talentflow.devstack.demo import Credentials, with_new_result_id


def signed_request(secret: str, body: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The JSON bytes of `body` and the webhook-id/-timestamp/-signature headers for them."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    msg_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, data),
    }
    return data.encode("utf-8"), headers


@dataclass(frozen=True)
class SentSample:
    url: str
    body: dict[str, Any]
    status_code: int
    response_text: str


def send_sample(var_dir: Path, *, vendor_index: int = 0, timeout: float = 15.0) -> SentSample:
    """POST `<var>/dev/sample-result.json` (with a new result_id) to the demo vendor's webhook."""
    dev = var_dir / "dev"
    creds = Credentials.load(dev / "credentials.json")
    vendor = creds.vendors[vendor_index]
    body = with_new_result_id(json.loads((dev / "sample-result.json").read_text("utf-8")))
    data, headers = signed_request(vendor.secret, body)
    response = httpx.post(vendor.webhook_url, content=data, headers=headers, timeout=timeout)
    return SentSample(vendor.webhook_url, body, response.status_code, response.text)


def example_snippet(var_dir: Path, python: str) -> str:
    """A ready-to-paste shell snippet that sends the sample with the standardwebhooks package."""
    dev = var_dir.resolve() / "dev"
    return f"""{python} - <<'EOF'
import datetime, json, uuid
import httpx
from standardwebhooks import Webhook

creds = json.load(open("{dev / "credentials.json"}"))
vendor = creds["vendors"][0]
body = json.load(open("{dev / "sample-result.json"}"))
body["result_id"] = f"res_{{uuid.uuid4().hex}}"  # a new result each time
data = json.dumps(body)
msg_id, now = f"msg_{{uuid.uuid4().hex}}", datetime.datetime.now(datetime.timezone.utc)
headers = {{
    "content-type": "application/json",
    "webhook-id": msg_id,
    "webhook-timestamp": str(int(now.timestamp())),
    "webhook-signature": Webhook(vendor["secret"]).sign(msg_id, now, data),
}}
response = httpx.post(vendor["webhook_url"], content=data, headers=headers)
print(response.status_code, response.text)
EOF"""
