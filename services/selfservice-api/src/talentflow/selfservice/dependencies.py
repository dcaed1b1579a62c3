"""FastAPI dependencies: one session (one transaction) per request, runtime, roles, upstreams."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from talentflow.common.auth import Principal, Role, require_roles
from talentflow.common.crypto import FieldCipher
from talentflow.common.dependencies import RuntimeDep
from talentflow.common.pagination import Pagination, pagination
from talentflow.selfservice.proxy import Upstreams


def get_cipher(runtime: RuntimeDep) -> FieldCipher:
    return runtime.cipher


CipherDep = Annotated[FieldCipher, Depends(get_cipher)]


def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]

# The verified caller, who must hold one of the roles (403 otherwise, 401 without a token).
SelfDep = Annotated[Principal, require_roles(Role.CANDIDATE, Role.EMPLOYEE)]

# Candidate listings: 20 per page by default, at most 100.
PageDep = Annotated[Pagination, Depends(pagination(default_limit=20, max_limit=100))]
