from enum import Enum


class AccountErrorCode(Enum):
    INVALID_CREDENTIALS = "invalid_credentials"
    THROTTLED = "throttled"
    INVALID_TOKEN = "invalid_token"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
