"""Personal data is stored only encrypted and never logged."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy import select, text

from talentflow.common.auth import Role
from talentflow.common.events import CandidateContact, EvidenceQuote
from talentflow.devstack.testing import unique_name
from talentflow.selfservice.models import SCHEMA, Base


async def _stored_values(sessionmaker) -> list[object]:
    """Every value of every column of every table in the selfservice schema, as stored."""
    async with sessionmaker() as session:
        in_schema = await session.scalars(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": SCHEMA},
        )
        modelled = {table.name for table in Base.metadata.sorted_tables}
        assert set(in_schema) - {"alembic_version"} == modelled  # no table goes unchecked
        values: list[object] = []
        for table in Base.metadata.sorted_tables:
            rows = await session.execute(select(table))
            values.extend(value for row in rows for value in row)
    return values


class TestPersonalDataAtRest:
    async def test_no_name_email_or_evidence_in_clear_in_any_table(
        self, client, store, events, token, sessionmaker, caplog: pytest.LogCaptureFixture
    ) -> None:
        marker = unique_name("secret")
        name, email, quote = f"Grace {marker}", f"{marker}@example.com", f"I fixed it {marker}"
        tenant = uuid.uuid4()
        result = events.result(
            tenant,
            "x-1",
            candidate=CandidateContact(external_id="x-1", name=name, email=email),
            evidence=[EvidenceQuote(competency="ownership", quote=quote)],
        )
        caplog.set_level(logging.DEBUG)
        await store(result, events.decision(result))
        hr = token(uuid.uuid4(), tenant, Role.HR)
        listed = await client.get("/v1/candidates", headers=hr)
        read = await client.get(f"/v1/candidates/{result.candidate_id}/reports", headers=hr)
        me = await client.get("/v1/me", headers=token(result.candidate_id, tenant, Role.CANDIDATE))
        assert listed.json()["items"][0]["name"] == name  # readable through the API ...
        assert read.json()[0]["evidence"][0]["quote"] == quote
        assert me.json()["email"] == email

        values = await _stored_values(sessionmaker)
        assert values, "the schema has rows"
        for secret in (name, email, quote, marker):
            needle = secret.encode()
            for value in values:  # ... but never stored in clear, whatever the column type
                raw = value if isinstance(value, bytes) else json.dumps(value, default=str).encode()
                assert needle not in raw
        logged = "\n".join(
            f"{r.getMessage()} {json.dumps(r.__dict__, default=str)}" for r in caplog.records
        )
        assert marker not in logged
