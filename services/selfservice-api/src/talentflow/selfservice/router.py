"""Routes of the read model: a person's own profile and reports (me), candidates for HR (hr)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from talentflow.common.auth import PrincipalDep
from talentflow.common.dependencies import HrDep, SessionDep
from talentflow.common.openapi import problems
from talentflow.selfservice import service
from talentflow.selfservice.dependencies import CipherDep, PageDep, SelfDep
from talentflow.selfservice.schemas import CandidatePage, InterviewReport, Profile

me = APIRouter(prefix="/v1/me", tags=["me"])
hr = APIRouter(prefix="/v1/candidates", tags=["hr"])


@me.get(
    "",
    summary="The signed-in person's profile",
    response_model=Profile,
    responses=problems(401, 404),
)
async def get_me(session: SessionDep, cipher: CipherDep, principal: PrincipalDep) -> Profile:
    return await service.get_profile(session, cipher=cipher, principal=principal)


@me.get(
    "/reports",
    summary="My interview reports, newest first, with gap analysis and advice",
    response_model=list[InterviewReport],
    responses=problems(401, 403),
)
async def list_my_reports(
    session: SessionDep, cipher: CipherDep, principal: SelfDep
) -> list[InterviewReport]:
    return await service.my_reports(session, cipher=cipher, principal=principal)


@me.get(
    "/reports/{result_id}",
    summary="One of my interview reports",
    response_model=InterviewReport,
    responses=problems(401, 403, 404, 422),
)
async def get_my_report(
    session: SessionDep,
    cipher: CipherDep,
    principal: SelfDep,
    result_id: Annotated[uuid.UUID, Path(description="the interview result's id")],
) -> InterviewReport:
    return await service.my_report(session, cipher=cipher, principal=principal, result_id=result_id)


@hr.get(
    "",
    summary="The tenant's candidates, most recently interviewed first (audited)",
    response_model=CandidatePage,
    responses=problems(401, 403, 422),
)
async def list_candidates(
    session: SessionDep,
    cipher: CipherDep,
    principal: HrDep,
    page: PageDep,
) -> CandidatePage:
    return await service.list_candidates(
        session, cipher=cipher, principal=principal, limit=page.limit, offset=page.offset
    )


@hr.get(
    "/{candidate_id}/reports",
    summary="A candidate's interview reports, newest first (audited)",
    response_model=list[InterviewReport],
    responses=problems(401, 403, 404, 422),
)
async def list_candidate_reports(
    session: SessionDep,
    cipher: CipherDep,
    principal: HrDep,
    candidate_id: Annotated[uuid.UUID, Path(description="the candidate's Talentflow id")],
) -> list[InterviewReport]:
    return await service.candidate_reports(
        session, cipher=cipher, principal=principal, candidate_id=candidate_id
    )
