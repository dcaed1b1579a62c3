"""Standard Webhooks verification: known answer, rotation, tolerance, malformed headers, limits."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import math
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from talentflow.ingest import webhooks
from talentflow.ingest.exceptions import InvalidSignature

MIB = 1024 * 1024

# The test vector of the Standard Webhooks specification.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


class TestKnownAnswer:
    def test_our_hmac_the_package_and_the_spec_agree(self) -> None:
        key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
        signed = f"{SPEC_ID}.{SPEC_TIMESTAMP}.".encode() + SPEC_BODY
        ours = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()

        package = Webhook(SPEC_SECRET).sign(
            SPEC_ID, datetime.fromtimestamp(SPEC_TIMESTAMP, tz=UTC), SPEC_BODY.decode()
        )

        assert ours == package == SPEC_SIGNATURE

    def test_verify_accepts_our_hmac_and_refuses_a_changed_body(self) -> None:
        now = int(time.time())
        key = base64.b64decode(SPEC_SECRET.removeprefix("whsec_"))
        mac = hmac.new(key, f"{SPEC_ID}.{now}.".encode() + SPEC_BODY, hashlib.sha256)
        signed = webhooks.SignedHeaders(
            SPEC_ID, now, "v1," + base64.b64encode(mac.digest()).decode()
        )

        webhooks.verify([SPEC_SECRET], SPEC_BODY, signed)
        with pytest.raises(InvalidSignature):
            webhooks.verify([SPEC_SECRET], SPEC_BODY + b" ", signed)

    def test_the_spec_vector_is_refused_now_as_stale(self) -> None:
        signed = webhooks.SignedHeaders(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE)

        with pytest.raises(InvalidSignature, match="5 minutes"):
            webhooks.verify([SPEC_SECRET], SPEC_BODY, signed)

    def test_generated_secrets_are_whsec_with_32_random_bytes(self) -> None:
        one, two = webhooks.generate_secret(), webhooks.generate_secret()

        assert one != two
        assert one.startswith("whsec_")
        assert len(base64.b64decode(one.removeprefix("whsec_"), validate=True)) == 32


@pytest.fixture
async def vendor(h) -> AsyncIterator[tuple[uuid.UUID, str]]:
    tenant = await h.tenant()
    yield await h.vendor(tenant)


class TestSecretRotation:
    async def test_either_active_secret_passes_and_a_retired_one_fails(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, old = await h.vendor(tenant)
        added = await h.client.post(f"/v1/vendors/{vendor_id}/secrets", headers=h.auth(tenant))
        new = added.json()["secret"]

        assert (await h.deliver(vendor_id, old, h.payload())).status_code == 202
        assert (await h.deliver(vendor_id, new, h.payload())).status_code == 202

        old_id = next(
            s["id"]
            for s in (
                await h.client.get(f"/v1/vendors/{vendor_id}", headers=h.auth(tenant))
            ).json()["secrets"]
            if s["id"] != added.json()["id"]
        )
        retired = await h.client.delete(
            f"/v1/vendors/{vendor_id}/secrets/{old_id}", headers=h.auth(tenant)
        )
        assert retired.status_code == 204
        refused = await h.deliver(vendor_id, old, h.payload())
        assert refused.status_code == 401
        assert refused.json()["type"].endswith("/invalid-signature")
        assert (await h.deliver(vendor_id, new, h.payload())).status_code == 202

    async def test_any_one_valid_signature_in_the_list_passes(self, h, vendor) -> None:
        vendor_id, secret = vendor
        body = json.dumps(h.payload()).encode()
        now = int(time.time())
        good = h.sign(secret, "msg_multi", now, body)
        wrong = h.sign(webhooks.generate_secret(), "msg_multi", now, body)

        response = await h.deliver(
            vendor_id,
            secret,
            body,
            webhook_id="msg_multi",
            timestamp=now,
            headers={"webhook-signature": f"v1a,AAAA {wrong} {good}"},
        )

        assert response.status_code == 202


class TestTimestampTolerance:
    @pytest.mark.parametrize(("skew", "status"), [(-299, 202), (299, 202), (-301, 401), (301, 401)])
    async def test_five_minutes_either_way(self, h, vendor, skew: int, status: int) -> None:
        """Timestamps are whole seconds: each is rounded the way that leaves the second that
        passes before the server checks it on the case's side of the limit (truncating
        `now - 299` could make it 300.9 s old by then)."""
        vendor_id, secret = vendor
        now = time.time()
        base = math.ceil(now) if (skew < 0) == (status == 202) else math.floor(now)

        response = await h.deliver(vendor_id, secret, h.payload(), timestamp=base + skew)

        assert response.status_code == status


NOW = "__now__"
MALFORMED: list[tuple[str, dict[str, object], int]] = [
    ("no webhook-id", {"webhook-id": None}, 400),
    ("no webhook-timestamp", {"webhook-timestamp": None}, 400),
    ("no webhook-signature", {"webhook-signature": None}, 400),
    ("empty webhook-id", {"webhook-id": ""}, 400),
    ("empty webhook-timestamp", {"webhook-timestamp": ""}, 400),
    ("empty webhook-signature", {"webhook-signature": ""}, 400),
    ("blank webhook-signature", {"webhook-signature": "   "}, 400),
    ("signature not base64", {"webhook-signature": "v1,!!!"}, 400),
    ("signature bad padding", {"webhook-signature": "v2,abc"}, 400),
    ("only another version", {"webhook-signature": "v2,abcd"}, 401),
    ("asymmetric only", {"webhook-signature": "v1a,abcd"}, 401),
    ("no comma", {"webhook-signature": "v1"}, 400),
    ("two commas", {"webhook-signature": "v1,abcd,abcd"}, 400),
    ("only a comma", {"webhook-signature": ","}, 400),
    ("no version", {"webhook-signature": ",abcd"}, 400),
    ("only padding", {"webhook-signature": "v1,===="}, 400),
    ("wrong signature", {"webhook-signature": "v1," + base64.b64encode(bytes(32)).decode()}, 401),
    ("too many signatures", {"webhook-signature": " ".join(["v1,abcd"] * 17)}, 400),
    ("huge signature header", {"webhook-signature": "v1," + "A" * 5000}, 400),
    ("non-ASCII signature", {"webhook-signature": "v1,ab\u00e9d".encode()}, 400),
    ("timestamp not a number", {"webhook-timestamp": "yesterday"}, 400),
    ("negative timestamp", {"webhook-timestamp": "-1614265330"}, 400),
    ("float timestamp", {"webhook-timestamp": "1614265330.5"}, 400),
    ("exponent timestamp", {"webhook-timestamp": "1.6e9"}, 400),
    ("nan timestamp", {"webhook-timestamp": "nan"}, 400),
    ("infinite timestamp", {"webhook-timestamp": "inf"}, 400),
    ("leading zero timestamp", {"webhook-timestamp": "0001614265330"}, 400),
    ("zero timestamp", {"webhook-timestamp": "0"}, 400),
    ("huge timestamp", {"webhook-timestamp": "9" * 15}, 401),
    ("enormous timestamp", {"webhook-timestamp": "9" * 40}, 400),
    ("ancient timestamp", {"webhook-timestamp": "1"}, 401),
    ("non-ASCII digits", {"webhook-timestamp": "\u0661\u0662\u0663".encode()}, 400),
    ("non-ASCII webhook-id", {"webhook-id": "msg_\u00e9\u4e2d".encode()}, 400),
    ("space in webhook-id", {"webhook-id": "msg 1"}, 400),
    ("control char in webhook-id", {"webhook-id": "msg\x01"}, 400),
    ("too long webhook-id", {"webhook-id": "m" * 300}, 400),
    ("webhook-id signed differently", {"webhook-id": "msg_other"}, 401),
]


class TestMalformedHeaders:
    @pytest.mark.parametrize(
        ("headers", "status"),
        [pytest.param(headers, status, id=name) for name, headers, status in MALFORMED],
    )
    async def test_answered_400_or_401_never_5xx(
        self, h, vendor, headers: dict[str, object], status: int
    ) -> None:
        vendor_id, secret = vendor

        response = await h.deliver(vendor_id, secret, h.payload(), headers=headers)

        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_repeated_header_is_400(self, h, vendor) -> None:
        vendor_id, secret = vendor
        body = json.dumps(h.payload()).encode()
        now = str(int(time.time()))
        headers = [
            ("webhook-id", "msg_a"),
            ("webhook-id", "msg_b"),
            ("webhook-timestamp", now),
            ("webhook-signature", h.sign(secret, "msg_a", now, body)),
        ]

        response = await h.client.post(f"/v1/webhooks/{vendor_id}", content=body, headers=headers)

        assert response.status_code == 400
        assert "webhook-id" in response.json()["detail"]


class TestVendorAndBody:
    async def test_unknown_vendor_is_404(self, h, vendor) -> None:
        _, secret = vendor

        response = await h.deliver(uuid.uuid4(), secret, h.payload())

        assert response.status_code == 404

    async def test_vendor_id_that_is_no_uuid_is_404(self, h, vendor) -> None:
        _, secret = vendor

        response = await h.deliver("not-a-vendor", secret, h.payload())

        assert response.status_code == 404

    async def test_disabled_vendor_is_404(self, h) -> None:
        tenant = await h.tenant()
        vendor_id, secret = await h.vendor(tenant)
        patched = await h.client.patch(
            f"/v1/vendors/{vendor_id}", json={"enabled": False}, headers=h.auth(tenant)
        )
        assert patched.status_code == 200 and patched.json()["enabled"] is False

        response = await h.deliver(vendor_id, secret, h.payload())

        assert response.status_code == 404

    async def test_body_over_one_mib_is_413(self, h, vendor) -> None:
        vendor_id, secret = vendor

        response = await h.deliver(vendor_id, secret, b" " * (MIB + 1))

        assert response.status_code == 413

    async def test_streamed_body_over_one_mib_is_413_without_content_length(
        self, h, vendor
    ) -> None:
        vendor_id, _ = vendor

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(17):
                yield b" " * 65536

        response = await h.client.post(
            f"/v1/webhooks/{vendor_id}",
            content=chunks(),
            headers={"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,a"},
        )

        assert response.status_code == 413

    async def test_a_compressed_body_is_415_and_nothing_stored(self, h, vendor) -> None:
        """Signed over the compressed bytes or not, a gzip body is not read as JSON."""
        vendor_id, secret = vendor
        body = gzip.compress(json.dumps(h.payload()).encode())

        response = await h.deliver(vendor_id, secret, body, headers={"content-encoding": "gzip"})

        assert response.status_code == 415
        assert response.json()["errors"][0]["field"] == "Content-Encoding"
        assert await h.rows("SELECT id FROM ingest.results WHERE vendor_id = :v", v=vendor_id) == []

    async def test_body_of_exactly_one_mib_is_accepted(self, h, vendor) -> None:
        vendor_id, secret = vendor
        body = json.dumps(h.payload()).encode()
        body += b" " * (MIB - len(body))

        response = await h.deliver(vendor_id, secret, body)

        assert response.status_code == 202
