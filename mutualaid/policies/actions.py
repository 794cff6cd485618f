"""Writes of the scheme-year policy; each is audited with ``record_event`` and runs inside the town's schema.

Only drafts change. Publishing runs the pure ``validation.validate_for_publishing`` (with the DRG catalogue's
``unknown_drg_codes`` injected) and refuses with every error at once; an amendment is a new draft version of a
published one, effective from a date, with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from mutualaid.drg.catalogue import unknown_drg_codes as catalogue_unknown_drg_codes
from mutualaid.platform.audit.actions import record_event
from mutualaid.policies import documents
from mutualaid.policies import subsidy_table as tables
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.error_codes import PolicyErrorCode as Code
from mutualaid.policies.models import PolicyVersion, SchemeYear, SubsidyEntry
from mutualaid.policies.parameters import AMENDMENT, BY_NAME, PARAMETERS, Kind, Parameter, shift_date
from mutualaid.policies.selectors import previous_published_policy, today
from mutualaid.policies.terms import FundingShare, SpecialGroupRule
from mutualaid.policies.validation import as_validation_error, validate_for_publishing
from mutualaid.policies.values import SubsidyRow, Threshold

# Copied from a published version into its amendment (everything but identity, status and provenance of time).
COPIED_FIELDS = (
    *(p.name for p in (*PARAMETERS, *AMENDMENT)),
    "funding_shares",
    "special_groups",
    "thresholds",
    "defaulted_fields",
)


def _error(field: str | None, code: Code, message: str) -> ValidationError:
    return ValidationError({field or "__all__": ValidationError(message, code=code.value)})


def unknown_drg_codes(version_code: str, codes: Iterable[str]) -> set[str]:
    """The DRG catalogue's check (another app), injected into the pure publishing checks."""
    return set(catalogue_unknown_drg_codes(version_code, codes))


def _locked_draft(policy: PolicyVersion) -> PolicyVersion:
    locked = PolicyVersion.objects.select_for_update().select_related("scheme_year").get(pk=policy.pk)
    if locked.status != PolicyStatus.DRAFT:
        raise ValidationError(
            {
                "policy": ValidationError(
                    "已发布的政策版本不可修改；请以修订（新版本）方式变更", code="published_immutable"
                )
            }
        )
    return locked


def _undefault(policy: PolicyVersion, names: Iterable[str]) -> None:
    """A parameter set by a person is no longer a default the document left open."""
    names = set(names)
    policy.defaulted_fields = [
        name for name in policy.defaulted_fields if name not in names and name.split(".")[0] not in names
    ]


# --- scheme years and drafts ----------------------------------------------------------------------------------------


def _check_scheme_year(scheme_year: int) -> None:
    if not 2000 <= int(scheme_year) <= 2100:
        raise _error("scheme_year", Code.OUT_OF_RANGE, "互助年度必须是 2000 至 2100 之间的年份")


@transaction.atomic
def create_draft(scheme_year: int, actor) -> PolicyVersion:
    """A new scheme year with an empty draft version 1 (sensible defaults for the yes/no rules)."""
    _check_scheme_year(scheme_year)
    year, created = SchemeYear.objects.get_or_create(year=scheme_year)
    if not created and year.versions.exists():
        raise _error(
            "scheme_year",
            Code.SCHEME_YEAR_EXISTS,
            f"{scheme_year}互助年度已有政策；请编辑草稿或修订已发布版本",
        )
    policy = PolicyVersion.objects.create(
        scheme_year=year,
        version=1,
        created_by_id=getattr(actor, "pk", None),
        **{p.name: _column(p.default) for p in PARAMETERS if p.defaulted},
    )
    record_event(actor, "policy.create_draft", policy, {"scheme_year": year.year, "version": 1})
    return policy


def _column(value):
    """A plain value as its column holds it (a list for a tuple)."""
    return list(value) if isinstance(value, tuple) else value


def _check_scalar(parameter: Parameter, value):
    """``value`` checked by the parameter's kind; the cleaned value or a ValidationError keyed by its name."""
    name, kind = parameter.name, parameter.kind
    if value is None and kind is Kind.TEXT:
        return ""  # an emptied text is blank, not null
    if value is None:
        if not parameter.nullable:
            raise _error(name, Code.REQUIRED, "此项不能为空")
        return value
    if kind is Kind.FEN:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(name, Code.INVALID_AMOUNT, "金额必须是整数（分）")
        if value <= 0:
            raise _error(name, Code.NOT_POSITIVE, "金额必须大于零")
    elif kind is Kind.DATE:
        if not isinstance(value, date):
            raise _error(name, Code.INVALID, "日期格式不正确")
    elif kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _error(name, Code.INVALID, "必须是是/否")
    elif kind in (Kind.DAYS, Kind.BP):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error(name, Code.INVALID, "必须是整数")
        if kind is Kind.BP and not 0 < value <= 10000:
            raise _error(name, Code.OUT_OF_RANGE, "比例必须在 0 到 100%（10000 基点）之间")
        if kind is Kind.DAYS and not 0 < value <= 365:
            raise _error(name, Code.OUT_OF_RANGE, "必须是 1 至 365 之间的整数")
    elif kind is Kind.TEXT:
        value = str(value).strip()
    elif kind is Kind.CHOICES:
        assert parameter.choices is not None
        chosen = list(dict.fromkeys(value))
        for item in chosen:
            if item not in parameter.choices.values:
                raise _error(name, Code.INVALID_CHOICE, f"未知的选项（{parameter.label}）：{item}")
        return chosen
    elif kind is Kind.CHOICE:
        assert parameter.choices is not None
        if value not in parameter.choices.values:
            raise _error(name, Code.INVALID_CHOICE, f"未知的选项（{parameter.label}）：{value}")
    return value


@transaction.atomic
def update_draft(policy: PolicyVersion, actor, **changes) -> PolicyVersion:
    """Set scalar parameters of a draft (fen integers, dates, booleans, basis points, choices)."""
    policy = _locked_draft(policy)
    unknown = set(changes) - set(BY_NAME)
    if unknown:
        raise _error(sorted(unknown)[0], Code.INVALID, f"不可修改的字段：{', '.join(sorted(unknown))}")
    if policy.version == 1 and ({p.name for p in AMENDMENT} & set(changes)):
        raise _error("effective_from", Code.INVALID, "第 1 版适用于整个互助年度，无需生效日期和修订原因")
    cleaned, problems = {}, {}
    for name, value in changes.items():  # report every bad field at once
        try:
            cleaned[name] = _check_scalar(BY_NAME[name], value)
        except ValidationError as exc:
            problems.update(exc.error_dict)
    if problems:
        raise ValidationError(problems)
    for name, value in cleaned.items():
        setattr(policy, name, value)
    _undefault(policy, cleaned)
    policy.save()
    record_event(actor, "policy.update_draft", policy, {"fields": sorted(cleaned)})
    return policy


@transaction.atomic
def set_funding_shares(policy: PolicyVersion, shares: Iterable[FundingShare], actor) -> PolicyVersion:
    policy = _locked_draft(policy)
    policy.funding_shares = [{"source": s.source, "amount_fen": int(s.amount_fen)} for s in shares]
    _undefault(policy, ["funding_shares"])
    policy.save()
    record_event(actor, "policy.set_funding_shares", policy, {"shares": policy.funding_shares})
    return policy


@transaction.atomic
def set_special_groups(policy: PolicyVersion, rules: Iterable[SpecialGroupRule], actor) -> PolicyVersion:
    policy = _locked_draft(policy)
    policy.special_groups = [
        {"category": r.category, "treatment": r.treatment, "paid_by": r.paid_by or None} for r in rules
    ]
    _undefault(policy, ["special_groups"])
    policy.save()
    record_event(actor, "policy.set_special_groups", policy, {"groups": policy.special_groups})
    return policy


@transaction.atomic
def set_thresholds(policy: PolicyVersion, thresholds: Iterable[Threshold], actor) -> PolicyVersion:
    policy = _locked_draft(policy)
    policy.thresholds = [
        {"insurance_type": t.insurance_type, "basis": t.basis, "amount_fen": int(t.amount_fen)}
        for t in thresholds
    ]
    _undefault(policy, ["thresholds"])
    policy.save()
    record_event(actor, "policy.set_thresholds", policy, {"thresholds": policy.thresholds})
    return policy


# --- the subsidy table ------------------------------------------------------------------------------------------------


def _replace_table(policy: PolicyVersion, rows: Iterable[SubsidyRow]) -> int:
    policy.subsidy_entries.all().delete()
    entries = [
        SubsidyEntry(policy=policy, drg_code=row.drg_code, drg_name=row.drg_name, amount_fen=row.amount_fen)
        for row in rows
    ]
    SubsidyEntry.objects.bulk_create(entries)
    return len(entries)


@transaction.atomic
def set_subsidy_table(policy: PolicyVersion, rows: Iterable[SubsidyRow], actor, *, source: str = "manual"):
    policy = _locked_draft(policy)
    rows = list(rows)
    errors = tables.check_rows(rows)
    if errors:
        raise tables.as_validation_error(errors)
    count = _replace_table(policy, rows)
    if source != "copy":
        _undefault(policy, ["subsidy_table"])
    policy.save()
    record_event(actor, "policy.set_subsidy_table", policy, {"rows": count, "source": source})
    return policy


@transaction.atomic
def upload_subsidy_table(policy: PolicyVersion, filename: str, content: bytes, actor) -> PolicyVersion:
    """Replace the draft's table from a CSV or XLSX file; any bad row refuses the whole file (row numbers given)."""
    rows = tables.parse_file(filename, content)  # raises with every row error
    return set_subsidy_table(policy, rows, actor, source="upload")


@transaction.atomic
def copy_subsidy_table_from_previous_year(policy: PolicyVersion, actor) -> PolicyVersion:
    policy = _locked_draft(policy)
    previous = previous_published_policy(policy.scheme_year.year)
    if previous is None or not previous.subsidy_entries.exists():
        raise _error("subsidy_table", Code.NO_PREVIOUS_TABLE, "没有可复制的上一年度已发布补助定额表")
    rows = previous.subsidy_rows()
    _replace_table(policy, rows)
    names = [n for n in policy.defaulted_fields if n != "subsidy_table"]
    if "subsidy_table" in previous.defaulted_fields:
        names.append("subsidy_table")
    policy.defaulted_fields = names
    if not policy.drg_catalogue_version:
        policy.drg_catalogue_version = previous.drg_catalogue_version
    policy.save()
    record_event(
        actor,
        "policy.copy_subsidy_table",
        policy,
        {"from_policy": previous.pk, "from_scheme_year": previous.scheme_year.year, "rows": len(rows)},
    )
    return policy


@transaction.atomic
def scale_subsidy_table(policy: PolicyVersion, factor: Decimal, actor) -> PolicyVersion:
    """Multiply every amount by ``factor``, rounded to whole yuan and clamped to [per-stay min, max]."""
    policy = _locked_draft(policy)
    rows = tables.scale_rows(policy.subsidy_rows(), factor, policy.per_stay_min_fen, policy.per_stay_max_fen)
    _replace_table(policy, rows)
    policy.save()
    record_event(actor, "policy.scale_subsidy_table", policy, {"factor": str(factor), "rows": len(rows)})
    return policy


# --- lifecycle --------------------------------------------------------------------------------------------------------


def publishing_errors(policy: PolicyVersion):
    return validate_for_publishing(policy.to_values(), unknown_drg_codes)


@transaction.atomic
def publish(policy: PolicyVersion, actor) -> PolicyVersion:
    policy = _locked_draft(policy)
    errors = publishing_errors(policy)
    if errors:
        raise as_validation_error(errors)
    policy.status = PolicyStatus.PUBLISHED
    policy.published_at = timezone.now()
    policy.published_by_id = getattr(actor, "pk", None)
    policy.save()
    record_event(
        actor,
        "policy.publish",
        policy,
        {
            "scheme_year": policy.scheme_year.year,
            "version": policy.version,
            "effective_from": str(policy.effective_from or ""),
        },
    )
    return policy


_publish = publish  # apply_preset's ``publish`` flag shadows the name


@transaction.atomic
def amend(published: PolicyVersion, effective_from: date, reason: str, actor) -> PolicyVersion:
    """A new draft version copying a published one, effective from ``effective_from``, for ``reason``."""
    published = PolicyVersion.objects.select_for_update().select_related("scheme_year").get(pk=published.pk)
    if published.status != PolicyStatus.PUBLISHED:
        raise _error("policy", Code.NOT_PUBLISHED, "只能修订已发布的版本；草稿可直接编辑")
    if not (reason or "").strip():
        raise _error("reason", Code.REASON_REQUIRED, "请写明修订原因")
    if not isinstance(effective_from, date):
        raise _error("effective_from", Code.REQUIRED, "请填写修订生效日期")
    year = SchemeYear.objects.select_for_update().get(pk=published.scheme_year_id)
    if year.versions.filter(status=PolicyStatus.DRAFT).exists():
        raise _error("policy", Code.DRAFT_EXISTS, "本互助年度已有未发布的草稿，请先发布或编辑该草稿")
    number = (year.versions.aggregate(Max("version"))["version__max"] or 0) + 1
    draft = _copied_draft(published, year, number, actor)
    draft.preset_key = published.preset_key
    draft.effective_from = effective_from
    draft.amendment_reason = reason.strip()
    draft.save()
    _copy_table(published, draft)
    record_event(
        actor,
        "policy.amend",
        draft,
        {
            "based_on": published.pk,
            "version": number,
            "effective_from": str(effective_from),
            "reason": draft.amendment_reason,
        },
    )
    return draft


def _copied_draft(source: PolicyVersion, year: SchemeYear, number: int, actor) -> PolicyVersion:
    draft = PolicyVersion(
        scheme_year=year, version=number, based_on=source, created_by_id=getattr(actor, "pk", None)
    )
    for name in COPIED_FIELDS:
        setattr(draft, name, getattr(source, name))
    return draft


def _copy_table(source: PolicyVersion, draft: PolicyVersion) -> None:
    SubsidyEntry.objects.bulk_create(
        SubsidyEntry(policy=draft, drg_code=e.drg_code, drg_name=e.drg_name, amount_fen=e.amount_fen)
        for e in source.subsidy_entries.all()
    )


@transaction.atomic
def copy_to_year(source: PolicyVersion, scheme_year: int, actor) -> PolicyVersion:
    """Start another scheme year (e.g. 2023) as a draft copy of a published version (复制上一年度政策).

    Every parameter and the subsidy table are copied; the dates move to the new year (by the preset's document
    where the source took them from its preset, else by the difference in years). The town then edits the draft
    (fee, table, …) and publishes it as usual.
    """
    source = PolicyVersion.objects.select_related("scheme_year").get(pk=source.pk)
    if source.status != PolicyStatus.PUBLISHED:
        raise _error("id", Code.NOT_PUBLISHED, "只能复制已发布的政策版本")
    _check_scheme_year(scheme_year)
    year, _ = SchemeYear.objects.select_for_update().get_or_create(year=scheme_year)
    if year.versions.exists():
        raise _error(
            "scheme_year",
            Code.SCHEME_YEAR_EXISTS,
            f"{scheme_year}互助年度已有政策；请编辑草稿或修订已发布版本",
        )
    years = year.year - source.scheme_year.year
    draft = _copied_draft(source, year, 1, actor)
    # A date the source took from its preset moves by the document's rule (a date set for one year only, such as
    # 新胜镇's 29 Sep 2022, does not carry over); a date the town set itself moves by the years between.
    preset = documents.PRESETS.get(source.preset_key)
    as_preset = preset.dates_for(source.scheme_year.year) if preset else {}
    by_rule = preset.dates_for(year.year) if preset else {}
    for parameter in PARAMETERS:
        if parameter.kind is Kind.DATE:
            day = getattr(source, parameter.name)
            moved = by_rule[parameter.name] if day and as_preset.get(parameter.name) == day else None
            setattr(draft, parameter.name, moved or shift_date(day, years))
    draft.effective_from = None
    draft.amendment_reason = ""
    draft.save()
    _copy_table(source, draft)
    record_event(
        actor,
        "policy.copy_to_year",
        draft,
        {"from_policy": source.pk, "from_scheme_year": source.scheme_year.year, "scheme_year": year.year},
    )
    return draft


# --- presets ----------------------------------------------------------------------------------------------------------


def _tenant_code() -> str | None:
    return getattr(getattr(connection, "tenant", None), "code", None)


def _resolve_preset(key: str, town_code: str | None) -> documents.Resolved:
    resolved = documents.resolve(key, town_code or _tenant_code())
    if resolved is not None:
        return resolved
    if key == documents.AUTO:
        raise _error(
            "key",
            Code.NO_PRESET_FOR_TOWN,
            f"乡镇 {town_code or _tenant_code() or ''} 所在地区没有对应的文件预设，请指定一个：{documents.choices_text()}",
        )
    raise _error(
        "key",
        Code.UNKNOWN_PRESET,
        f"未知的预设或该乡镇没有预设：{key}；可选：{documents.choices_text()}",
    )


@transaction.atomic
def apply_preset(
    town_code_or_key: str,
    actor,
    *,
    publish: bool = False,
    scheme_year: int | None = None,
    town_code: str | None = None,
    on: date | None = None,
) -> PolicyVersion:
    """Load a preset into a scheme year's draft, every date moved to that year by its document; optionally publish.

    ``town_code_or_key``: a preset key (``xinsheng-2022``), a document family (``xinsheng``, ``haian``), a town code,
    or ``auto`` (the town's own: ``town_code``, default the current town). ``scheme_year`` defaults to the key's
    own year for a dated key or a pilot town, and to the coming scheme year (the next enrolment window to open, or
    the one open ``on`` that day, default today) otherwise. A town whose region follows no document gets
    ``no_preset_for_town`` listing the presets to choose from.

    Idempotent: when the scheme year already has a published version from the same preset, that version is
    returned unchanged. A scheme year published from anything else must be changed by an amendment.
    """
    resolved = _resolve_preset(town_code_or_key, town_code)
    preset = resolved.preset
    if scheme_year is None:
        scheme_year = resolved.default_year or preset.next_year_to_open(on or today())
    _check_scheme_year(scheme_year)
    values = preset.for_year(scheme_year)
    year, _ = SchemeYear.objects.select_for_update().get_or_create(year=scheme_year)
    published = year.versions.filter(status=PolicyStatus.PUBLISHED).order_by("-version").first()
    if published is not None:
        if published.preset_key == preset.key:
            return published
        raise _error(
            "key", Code.SCHEME_YEAR_EXISTS, f"{year.year}互助年度已发布政策，不能套用预设；请以修订方式变更"
        )
    draft = year.versions.filter(status=PolicyStatus.DRAFT).first()
    if draft is None:
        draft = PolicyVersion(scheme_year=year, version=1, created_by_id=getattr(actor, "pk", None))
    for parameter in PARAMETERS:
        setattr(draft, parameter.name, _column(getattr(values, parameter.name)))
    draft.funding_shares = [
        {"source": str(s.source), "amount_fen": s.amount_fen} for s in values.funding_shares
    ]
    draft.special_groups = [
        {
            "category": str(g.category),
            "treatment": str(g.treatment),
            "paid_by": str(g.paid_by) if g.paid_by else None,
        }
        for g in values.special_groups
    ]
    draft.thresholds = [
        {"insurance_type": str(t.insurance_type), "basis": str(t.basis), "amount_fen": t.amount_fen}
        for t in values.thresholds
    ]
    draft.defaulted_fields = list(values.defaulted_fields)
    draft.preset_key = preset.key
    draft.save()
    _replace_table(draft, values.subsidy_table)
    record_event(
        actor,
        "policy.apply_preset",
        draft,
        {"preset": preset.key, "scheme_year": scheme_year, "version": draft.version},
    )
    if publish:
        draft = _publish(draft, actor)
    return draft
