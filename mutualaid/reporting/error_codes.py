from enum import Enum


class ReportingErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    INVALID_SHARE = "invalid_share"
    INVALID_QUARTER = "invalid_quarter"
    INVALID_TASK = "invalid_task"
    INVALID_GRADE = "invalid_grade"
    INVALID_ANSWER = "invalid_answer"
    WRONG_STATE = "wrong_state"
    NO_PLAN = "no_plan"
    NO_ROLLUP = "no_rollup"
    ALREADY_ANSWERED = "already_answered"
    NOT_PUBLISHED = "not_published"
    SIGNED_OFF = "signed_off"
    COMMENT_REQUIRED = "comment_required"
    TOO_LONG = "too_long"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
