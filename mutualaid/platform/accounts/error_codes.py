from enum import Enum


class AccountErrorCode(Enum):
    INVALID_CREDENTIALS = "invalid_credentials"
    THROTTLED = "throttled"
    INVALID_TOKEN = "invalid_token"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    INVALID_PHONE = "invalid_phone"
    INVALID_SCOPE = "invalid_scope"
    UNKNOWN_VILLAGE = "unknown_village"
    ALREADY_GRANTED = "already_granted"
    USER_INACTIVE = "user_inactive"
    USERNAME_TAKEN = "username_taken"
    INVALID_CODE = "invalid_code"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    WEAK_PASSWORD = "weak_password"
    CANNOT_DEACTIVATE = "cannot_deactivate"
    PERIOD_REQUIRED = "period_required"
    PERIOD_NOT_ALLOWED = "period_not_allowed"
    PERIOD_REVERSED = "period_reversed"
    INVALID_DATE = "invalid_date"
