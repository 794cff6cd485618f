from enum import Enum


class PayoutErrorCode(Enum):
    REQUIRED = "required"
    INVALID = "invalid"
    INVALID_MONTH = "invalid_month"
    INVALID_AMOUNT = "invalid_amount"
    WRONG_STATE = "wrong_state"
    SAME_PERSON = "same_person"
    EMPTY_BATCH = "empty_batch"
    NOT_APPROVED = "not_approved"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LEDGER = "ledger"
    UNKNOWN_LINE = "unknown_line"
    DUPLICATE_LINE = "duplicate_line"
    AMOUNT_MISMATCH = "amount_mismatch"
    BAD_FILE = "bad_file"
    REASON_REQUIRED = "reason_required"
    ALREADY_RECOVERED = "already_recovered"
    EXCEEDS_BALANCE = "exceeds_balance"
