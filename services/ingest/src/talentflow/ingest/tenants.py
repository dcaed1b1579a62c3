"""Service functions for a tenant's ingest settings: jurisdiction and biometrics policy.

The policy decides what ingest does with facial and voice metrics (see ARCHITECTURE.md,
"Compliance built in"); a tenant never configured gets the most protective one.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from talentflow.ingest import repository
from talentflow.ingest.exceptions import PolicyNotAllowed
from talentflow.ingest.models import BiometricsPolicy, Jurisdiction, Tenant
from talentflow.ingest.schemas import TenantOut, TenantSettings

# A tenant that created a vendor before configuring ingest gets the most protective policy.
UNCONFIGURED_JURISDICTION = Jurisdiction.OTHER
UNCONFIGURED_POLICY = BiometricsPolicy.DROP


def default_policy(jurisdiction: Jurisdiction) -> BiometricsPolicy:
    """EU AI Act Art. 5(1)(f): drop for the EU; elsewhere keep, but never usable."""
    if jurisdiction is Jurisdiction.EU:
        return BiometricsPolicy.DROP
    return BiometricsPolicy.KEEP_UNUSABLE


def _tenant_out(tenant: Tenant) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        name=tenant.name,
        jurisdiction=Jurisdiction(tenant.jurisdiction),
        biometrics_policy=BiometricsPolicy(tenant.biometrics_policy),
    )


async def configure_tenant(
    session: AsyncSession, *, tenant_id: uuid.UUID, settings: TenantSettings
) -> TenantOut:
    """Set a tenant's jurisdiction and biometrics policy (EU tenants may not allow them)."""
    policy = settings.biometrics_policy or default_policy(settings.jurisdiction)
    if settings.jurisdiction is Jurisdiction.EU and policy is BiometricsPolicy.ALLOW:
        raise PolicyNotAllowed(
            "EU AI Act Art. 5(1)(f): facial/voice metrics cannot be allowed for an EU tenant",
            errors=[
                {
                    "field": "biometrics_policy",
                    "in": "body",
                    "pointer": "/biometrics_policy",
                    "message": "must be drop or keep_unusable for jurisdiction EU",
                    "type": "policy_not_allowed",
                }
            ],
        )
    tenant = await repository.upsert_tenant(
        session,
        tenant_id=tenant_id,
        name=settings.name,
        jurisdiction=settings.jurisdiction.value,
        biometrics_policy=policy.value,
    )
    return _tenant_out(tenant)


async def get_tenant(session: AsyncSession, *, tenant_id: uuid.UUID) -> TenantOut:
    """A tenant's ingest settings (the protective defaults when never configured)."""
    tenant = await repository.get_tenant(session, tenant_id)
    if tenant is None:
        return TenantOut(
            id=tenant_id,
            name=None,
            jurisdiction=UNCONFIGURED_JURISDICTION,
            biometrics_policy=UNCONFIGURED_POLICY,
        )
    return _tenant_out(tenant)
