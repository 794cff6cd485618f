from enum import Enum


class TownErrorCode(Enum):
    INVALID_CODE = "invalid_code"
    UNKNOWN_CODE = "unknown_code"
    ALREADY_ONBOARDED = "already_onboarded"
    NOT_RETRYABLE = "not_retryable"
    INVALID_PHONE = "invalid_phone"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
