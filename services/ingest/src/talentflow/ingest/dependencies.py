"""FastAPI dependencies of ingest: settings, the master key, the caller (runtime and session
are talentflow.common.dependencies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from talentflow.common.auth import Principal, Role, require_roles
from talentflow.ingest.config import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_master_key(request: Request) -> bytes:
    """The master key that seals vendor secrets (loaded once when the app is built)."""
    key: bytes = request.app.state.master_key
    return key


MasterKeyDep = Annotated[bytes, Depends(get_master_key)]


HrAdminDep = Annotated[Principal, require_roles(Role.HR_ADMIN)]
