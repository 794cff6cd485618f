from enum import Enum


class FundsErrorCode(Enum):
    """Typed errors of the fund ledger (lower-case codes, see docs/CONVENTIONS.md)."""

    INVALID_YEAR = "invalid_year"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_SOURCE = "invalid_source"
    INVALID_METHOD = "invalid_method"
    INVALID_DATE = "invalid_date"
    DATE_OUTSIDE_YEAR = "date_outside_year"
    REQUIRED = "required"
    YEAR_CLOSED = "year_closed"
    ALREADY_REVERSED = "already_reversed"
    NOT_REVERSIBLE = "not_reversible"
    DUPLICATE_RECEIPT = "duplicate_receipt"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    ALREADY_CLOSED = "already_closed"
    PREVIOUS_YEAR_OPEN = "previous_year_open"
    NEXT_YEAR_CONFLICT = "next_year_conflict"
    UNBALANCED = "unbalanced"
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FEE_NOT_FROM_FUND = "fee_not_from_fund"
