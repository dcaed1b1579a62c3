"""Identifiers every service derives the same way, without asking another service."""

from __future__ import annotations

import uuid

_CANDIDATE_NAMESPACE = uuid.UUID("5b0f6a3e-2f1c-4a8e-9d3b-7c1e2a4f6d80")


def candidate_id(tenant_id: uuid.UUID, external_id: str) -> uuid.UUID:
    """The Talentflow id of a tenant's candidate known by an external (ATS/vendor) id."""
    return uuid.uuid5(_CANDIDATE_NAMESPACE, f"{tenant_id}:{external_id.strip()}")
