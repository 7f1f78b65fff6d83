"""Domain errors: a short tree, each raised before anything is looked up or written."""

from __future__ import annotations


class EligibilityError(Exception):
    """Base of every error the core raises on purpose."""

    code = "ERROR"

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


class InvalidInput(EligibilityError):
    """The inquiry itself is malformed; the asker must correct it."""

    code = "INVALID_INPUT"


class InvalidNationalId(InvalidInput):
    """A national id is not of the rule pack's format."""

    code = "INVALID_NATIONAL_ID"


class NationalIdCheckDigit(InvalidNationalId):
    """A national id fails its check digit: a typo, refused before lookup."""

    code = "NATIONAL_ID_CHECK_DIGIT"


class InvalidDate(InvalidInput):
    """A date cannot be read."""

    code = "INVALID_DATE"


class DateOutOfRange(InvalidInput):
    """A service date lies outside the window the gateway answers for."""

    code = "DATE_OUT_OF_RANGE"


class InvalidTrackingCode(InvalidInput):
    """A tracking code is malformed or fails its check digit."""

    code = "INVALID_TRACKING_CODE"


class InvalidSetting(InvalidInput):
    """A service setting the rule pack does not know."""

    code = "INVALID_SETTING"


class RulePackError(EligibilityError):
    """A rule pack is inconsistent; raised when it is loaded, never while answering."""

    code = "RULE_PACK_ERROR"


class Refused(EligibilityError):
    """The inquiry is well formed, but the policy does not let this asker have an answer."""

    code = "REFUSED"


class ProviderInactive(Refused):
    """The provider is deactivated: it must send its registration data again."""

    code = "PROVIDER_INACTIVE"


class NotPermitted(Refused):
    """The asker may not learn about this person (worded the same whether they exist or not)."""

    code = "NOT_ON_FILE"


class QuotaExceeded(Refused):
    """Too many answers: ``scope`` says whose budget, ``retry_after`` when it renews (seconds)."""

    code = "RATE_LIMITED"

    def __init__(self, message: str, *, scope: str, retry_after: int, limit: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            message,
            problem=scope,
            scope=scope,
            retry_after=retry_after,
            minutes=minutes,
            seconds=retry_after,
            limit=limit,
        )
        self.scope = scope
        self.retry_after = retry_after
        self.limit = limit


class Unavailable(EligibilityError):
    """The gateway cannot answer this now (its store failed): try again shortly."""

    code = "UNAVAILABLE"
