"""A scheme-year policy as plain values (no database).

``PolicyValues`` is what publishing validates (``mutualaid.policies.validation``) and what presets describe
(``mutualaid.policies.documents``); the model ``PolicyVersion`` converts to it. Its scalar attributes are the
parameters of the registry (``mutualaid.policies.parameters``), so a new parameter appears here by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from mutualaid.policies.choices import (
    ExclusionCause,
    InsuranceType,
    PolicyStatus,
    ServiceFeeKind,
    ThresholdBasis,
    UnlistedDrgRule,
)
from mutualaid.policies.parameters import AMENDMENT, LIST_FIELDS, PARAMETERS
from mutualaid.policies.terms import EnrolmentTerms, FundingShare, SpecialGroupRule

__all__ = [
    "LIST_FIELDS",
    "NOT_IN_DOCUMENT",
    "SCALAR_FIELDS",
    "ExclusionCause",
    "InsuranceType",
    "PolicyStatus",
    "PolicyValues",
    "ServiceFeeKind",
    "SubsidyRow",
    "Threshold",
    "ThresholdBasis",
    "UnlistedDrgRule",
    "enrolment_terms_of",
]

# Shown wherever a value was not given by the town's document but filled in by a preset or a default.
NOT_IN_DOCUMENT = "文件未规定"


@dataclass(frozen=True)
class Threshold:
    insurance_type: str  # InsuranceType
    basis: str  # ThresholdBasis
    amount_fen: int


@dataclass(frozen=True)
class SubsidyRow:
    drg_code: str
    amount_fen: int
    drg_name: str = ""


def _policy_values_class() -> type:
    """Every parameter of one policy version; ``None`` means not filled in yet (allowed in a draft only)."""
    fields: list[Any] = [
        ("scheme_year", int),
        ("version", int, field(default=1)),
        *((p.name, Any, field(default=p.empty())) for p in PARAMETERS),
        ("funding_shares", tuple[FundingShare, ...], field(default=())),
        ("special_groups", tuple[SpecialGroupRule, ...], field(default=())),
        ("thresholds", tuple[Threshold, ...], field(default=())),
        ("subsidy_table", tuple[SubsidyRow, ...], field(default=())),
        # amendments only; version 1 applies to the whole scheme year
        *((p.name, Any, field(default=p.empty())) for p in AMENDMENT),
        ("defaulted_fields", tuple[str, ...], field(default=())),
    ]
    cls = make_dataclass("PolicyValues", fields, frozen=True)
    cls.__module__ = __name__
    cls.__doc__ = _policy_values_class.__doc__
    return cls


if TYPE_CHECKING:

    class PolicyValues:
        scheme_year: int
        version: int
        funding_shares: tuple[FundingShare, ...]
        special_groups: tuple[SpecialGroupRule, ...]
        thresholds: tuple[Threshold, ...]
        subsidy_table: tuple[SubsidyRow, ...]
        effective_from: date | None
        amendment_reason: str
        defaulted_fields: tuple[str, ...]

        def __init__(self, **values: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...  # one attribute per parameter of the registry

else:
    PolicyValues = _policy_values_class()


# The scalar parameters an update may set, with their kind (kept for callers of the old table).
SCALAR_FIELDS: dict[str, str] = {p.name: p.kind.value for p in (*PARAMETERS, *AMENDMENT)}


def enrolment_terms_of(
    values: PolicyValues, *, policy_id: int | None = None, version: int | None = None
) -> EnrolmentTerms:
    """What enrolment reads of a policy (or a preset's values); only values with every date have terms."""
    snapshot, opens, closes = values.register_snapshot_date, values.enrolment_opens, values.enrolment_closes
    start, end = values.coverage_start, values.coverage_end
    if snapshot is None or opens is None or closes is None or start is None or end is None:
        raise ValueError(
            f"{values.scheme_year}互助年度政策{f' {policy_id}' if policy_id else ''}缺少日期，不能作为参加条件"
        )
    return EnrolmentTerms(
        policy_id=policy_id,
        version=values.version if version is None else version,
        scheme_year=values.scheme_year,
        fee_per_person_fen=values.fee_per_person_fen or 0,
        funding_shares=values.funding_shares,
        special_groups=values.special_groups,
        register_snapshot_date=snapshot,
        enrolment_opens=opens,
        enrolment_closes=closes,
        coverage_start=start,
        coverage_end=end,
        target_village_share_bp=values.target_village_share_bp,
        target_household_share_bp=values.target_household_share_bp,
        target_person_share_bp=values.target_person_share_bp,
    )
