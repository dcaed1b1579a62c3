"""Screening's domain errors (rendered as RFC 9457 problem+json by talentflow.common)."""

from __future__ import annotations

import uuid

from talentflow.common.errors import InvalidInput, NotFound, ServiceError
from talentflow.screening.rules import ProhibitedMetricError, RuleError


class JobNotFound(NotFound):
    code = "job-not-found"
    title = "Job not found"

    def __init__(self, job_id: uuid.UUID) -> None:
        super().__init__(f"no job {job_id}")


class DecisionNotFound(NotFound):
    code = "decision-not-found"
    title = "Decision not found"

    def __init__(self, decision_id: uuid.UUID) -> None:
        super().__init__(f"no decision {decision_id}")


class InvalidRule(InvalidInput):
    """A rule expression that does not parse or uses a prohibited metric; names the field."""

    code = "invalid-rule"
    title = "The rule expression is not valid"

    def __init__(self, error: RuleError, *, field: str) -> None:
        prohibited = isinstance(error, ProhibitedMetricError)
        super().__init__(
            f"{field}: {error}",
            errors=[
                {
                    "field": field,
                    "in": "body",
                    "pointer": "/" + field.replace(".", "/"),
                    "message": str(error),
                    "type": "prohibited-metric" if prohibited else "rule-syntax",
                    "position": error.position,
                }
            ],
        )
        self.position = error.position


class ProhibitedRequirement(InvalidInput):
    """A requirement profile naming a facial, voice or emotion metric (AI Act Art. 5(1)(f))."""

    code = "prohibited-metric"
    title = "The requirement profile uses a prohibited metric"

    def __init__(self, name: str) -> None:
        field = f"requirements.{name}"
        message = (
            f"'{name}' is a facial, voice or emotion metric and may not be used in screening "
            "(EU AI Act Art. 5(1)(f))"
        )
        super().__init__(
            f"{field}: {message}",
            errors=[
                {
                    "field": field,
                    "in": "body",
                    "pointer": f"/requirements/{name}",
                    "message": message,
                    "type": "prohibited-metric",
                }
            ],
        )


class ResultForUnknownJob(ServiceError):
    """An interview result names a job this tenant does not have (acknowledged, not retried)."""

    status_code = 404
    code = "unknown-job"
    title = "Unknown job"

    def __init__(self, *, job_id: uuid.UUID, tenant_id: uuid.UUID, result_id: uuid.UUID) -> None:
        super().__init__(f"result {result_id}: tenant {tenant_id} has no job {job_id}")
