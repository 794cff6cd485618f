from enum import Enum


class DisclosureErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    INVALID_MONTH = "invalid_month"
    WRONG_STATE = "wrong_state"
    PUBLISHED = "published"
    NOT_RECONCILED = "not_reconciled"
    PERIOD_CLOSED = "period_closed"
    NOT_DISCLOSED = "not_disclosed"
    REASON_TOO_LONG = "reason_too_long"
    RATE_LIMITED = "rate_limited"
    BAD_CODE = "bad_code"
    INVALID_PHONE = "invalid_phone"
    ALREADY_PAID = "already_paid"
    IN_APPROVED_BATCH = "in_approved_batch"
    REVIEW_PENDING = "review_pending"
