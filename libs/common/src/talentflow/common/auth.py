"""Bearer-token identity shared by the gateway and the internal services.

The gateway authenticates callers and passes their token on; every service checks the same
signature (HS256, a shared secret from settings) and reads the caller's principal from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, Request, params
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict

from talentflow.common.errors import Forbidden, Unauthorized

ISSUER = "talentflow"
ALGORITHM = "HS256"


class Role(StrEnum):
    CANDIDATE = "candidate"
    EMPLOYEE = "employee"
    HR = "hr"
    HR_ADMIN = "hr_admin"
    SERVICE = "service"


class Principal(BaseModel):
    """Who is calling: a person (or service) id, their tenant and roles."""

    model_config = ConfigDict(frozen=True)

    subject: uuid.UUID
    tenant_id: uuid.UUID
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


def issue_token(
    secret: str,
    *,
    subject: uuid.UUID,
    tenant_id: uuid.UUID,
    roles: Iterable[Role],
    ttl: timedelta = timedelta(hours=12),
) -> str:
    """Sign a bearer token for a principal."""
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "sub": str(subject),
        "tenant": str(tenant_id),
        "roles": sorted(str(r) for r in roles),
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    """Verify a bearer token and return its principal; Unauthorized when it is not valid."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
        return Principal(
            subject=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tenant"]),
            roles=frozenset(Role(r) for r in claims.get("roles", [])),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized("invalid or expired bearer token") from exc


_bearer = HTTPBearer(auto_error=False)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the verified principal of the request."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized()
    secret: str = request.app.state.settings.auth_secret.get_secret_value()
    return decode_token(secret, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> params.Depends:
    """Dependency factory: the principal must hold one of `roles`."""

    async def _check(principal: PrincipalDep) -> Principal:
        if not principal.has(*roles):
            raise Forbidden("this action needs one of the roles: " + ", ".join(roles))
        return principal

    dependency: params.Depends = Depends(_check)
    return dependency
