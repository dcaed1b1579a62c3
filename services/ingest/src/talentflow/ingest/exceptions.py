"""Ingest's domain errors (rendered as RFC 9457 problem+json by talentflow.common)."""

from __future__ import annotations

from talentflow.common.errors import Conflict, NotFound, ServiceError


class VendorNotFound(NotFound):
    code = "vendor-not-found"
    title = "Unknown vendor"

    def __init__(self, message: str = "no such vendor (or it is disabled)") -> None:
        super().__init__(message)


class SecretNotFound(NotFound):
    code = "secret-not-found"
    title = "Unknown signing secret"

    def __init__(self) -> None:
        super().__init__("no such signing secret for this vendor")


class ResultNotFound(NotFound):
    code = "result-not-found"
    title = "Unknown result"

    def __init__(self) -> None:
        super().__init__("no such interview result")


class ResultErased(ServiceError):
    status_code = 410
    code = "result-erased"
    title = "Personal data erased"

    def __init__(self) -> None:
        super().__init__("the candidate's personal data in this result has been erased")


class VendorNameTaken(Conflict):
    code = "vendor-name-taken"
    title = "Vendor name already used"

    def __init__(self) -> None:
        super().__init__("this tenant already has a vendor with that name")


class LastActiveSecret(Conflict):
    code = "last-active-secret"
    title = "Cannot retire the last active secret"

    def __init__(self) -> None:
        super().__init__(
            "retiring it would leave the vendor unable to deliver; add a new secret first"
        )


class PolicyNotAllowed(ServiceError):
    status_code = 422
    code = "policy-not-allowed"
    title = "Biometrics policy not allowed in this jurisdiction"


class MalformedWebhook(ServiceError):
    """The webhook request is not well-formed (headers, encoding, JSON)."""

    status_code = 400
    code = "malformed-webhook"
    title = "Malformed webhook"


class InvalidSignature(ServiceError):
    """Well-formed, but no signature matches an active secret, or the timestamp is stale."""

    status_code = 401
    code = "invalid-signature"
    title = "Webhook signature not valid"


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload-too-large"
    title = "Payload too large"


class UnexpectedEvent(ServiceError):
    """An event type ingest does not read (acknowledged and logged, not retried)."""

    code = "unexpected-event"
    title = "Unexpected event"


class ErasureOfAnotherTenant(ServiceError):
    """An erasure request for a person whose results belong to another tenant: refused
    (acknowledged and logged, not retried), and nothing is erased."""

    code = "erasure-of-another-tenant"
    title = "Erasure refused"

    def __init__(self) -> None:
        super().__init__("this person's results belong to another tenant; nothing was erased")
