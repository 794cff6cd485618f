"""Writes of the enrolment app (run inside a town's schema). Each is audited with ``record_event`` and refuses bad
input with ``ValidationError({field: ValidationError(message, code=EnrolmentErrorCode value)})``, writing nothing.
Audit data never holds names, ID or phone numbers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from mutualaid.enrolment import fields, roster, rules
from mutualaid.enrolment.error_codes import EnrolmentErrorCode as Code
from mutualaid.enrolment.models import (
    Contribution,
    ContributionReversal,
    EnrolledMember,
    Enrolment,
    Household,
    ImportJob,
    InsuranceType,
    Member,
    MemberStatus,
    PaymentMethod,
    Relation,
    Village,
)
from mutualaid.enrolment.tasks import import_roster
from mutualaid.enrolment_index import api as index
from mutualaid.funds.postings import post_contribution, reverse_entry
from mutualaid.platform import crypto, idnumbers
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.personal_data import record_personal_data_read
from mutualaid.platform.money import fen_to_yuan
from mutualaid.platform.validators import clean_text, max_length_of, normalise_mobile
from mutualaid.policies.terms import EnrolmentTerms, FundingSource


def invalid(field: str, message: str, code: Code | str) -> ValidationError:
    value = code.value if isinstance(code, Code) else code
    return ValidationError({field: ValidationError(message, code=value)})


def town_code() -> str:
    return connection.tenant.code  # type: ignore[attr-defined]  # django-tenants' wrapper


# --- personal data ------------------------------------------------------------------------------------------------


def seal_id_number(id_number: str) -> tuple[str, str, str]:
    """(encrypted, lookup hash, masked) of a normalised ID number."""
    return crypto.encrypt(id_number), crypto.lookup_hash(id_number), idnumbers.mask(id_number)


def seal_phone(phone: str) -> tuple[str, str, str]:
    if not phone:
        return "", "", ""
    return crypto.encrypt(phone), crypto.lookup_hash(phone), crypto.mask_phone(phone)


def read_personal_data(members: Sequence[Member], actor, fields_read: Iterable[str]) -> dict[int, dict]:
    """Unmasked ID and phone numbers of ``members`` (the caller has checked READ_PERSONAL_DATA): one audit event
    for the read, naming the members' ids and the fields, never the values."""
    # Charged to the actor's budget and audited before anything is decrypted (refused over budget).
    record_personal_data_read(actor, "enrolment.personal_data.read", members, sorted(set(fields_read)))
    return {
        m.pk: {
            "id_number": crypto.decrypt(m.id_number_encrypted),
            "phone": crypto.decrypt(m.phone_encrypted) if m.phone_encrypted else "",
        }
        for m in members
    }


# --- villages ------------------------------------------------------------------------------------------------------


def create_village(code: str, name: str, *, actor) -> Village:
    code = clean_text(code, field="code", max_length=max_length_of(Village, "code"), label="村级区划代码")
    name = clean_text(name, field="name", max_length=max_length_of(Village, "name"), label="村名")
    if not (len(code) == 12 and code.isdigit() and code.startswith(town_code())):
        raise invalid(
            "code", f"村级区划代码应为本镇代码 {town_code()} 开头的 12 位数字", Code.INVALID_VILLAGE_CODE
        )
    if not name:
        raise invalid("name", "请填写村名", Code.REQUIRED)
    if Village.objects.filter(code=code).exists():
        raise invalid("code", f"村 {code} 已存在", Code.DUPLICATE)
    village = Village.objects.create(code=code, name=name)
    record_event(actor, "enrolment.village.created", village, {"code": code})
    return village


def record_village_decision(
    village: Village, *, joined: bool, resolution_date: date | None, actor
) -> Village:
    """村民代表会议决议: whether the village joins, and the date of the resolution."""
    if joined and resolution_date is None:
        raise invalid("resolution_date", "决议参加时请填写村民代表会议决议日期", Code.REQUIRED)
    if resolution_date and resolution_date > timezone.localdate():
        raise invalid("resolution_date", "决议日期晚于今天", Code.INVALID_DATE)
    village.joined, village.resolution_date = joined, resolution_date
    village.save(update_fields=["joined", "resolution_date"])
    record_event(
        actor,
        "enrolment.village.decision",
        village,
        {"joined": joined, "resolution_date": resolution_date.isoformat() if resolution_date else None},
    )
    return village


# --- households and members ----------------------------------------------------------------------------------------


def create_household(village: Village, number: str, *, address: str = "", actor) -> Household:
    number = clean_text(number, field="number", max_length=max_length_of(Household, "number"), label="户号")
    address = clean_text(
        address, field="address", max_length=max_length_of(Household, "address"), label="住址"
    )
    if not number:
        raise invalid("number", "请填写户号", Code.REQUIRED)
    if Household.objects.filter(number=number).exists():
        raise invalid("number", f"户号 {number} 已存在", Code.DUPLICATE)
    household = Household.objects.create(number=number, village=village, address=address)
    record_event(actor, "enrolment.household.created", household, {"village": village.code})
    return household


def _field(parser, value, field: str, **kwargs):
    try:
        return parser(value, **kwargs)
    except fields.FieldProblem as problem:
        raise invalid(field, problem.message, problem.code) from problem


def add_member(
    household: Household,
    *,
    name: str,
    id_number: str,
    relation: str,
    insurance_type: str,
    registered_on: date,
    phone: str = "",
    hardship_categories: Sequence[str] = (),
    actor,
) -> Member:
    name = clean_text(name, field="name", max_length=max_length_of(Member, "name"), label="姓名")
    if not name:
        raise invalid("name", "请填写姓名", Code.REQUIRED)
    parsed = idnumbers.parse(id_number, field="id_number")
    phone = normalise_mobile(phone, field="phone", code=Code.INVALID_PHONE.value) if phone else ""
    relation = _field(fields.relation, relation, "relation")
    insurance_type = _field(fields.insurance, insurance_type, "insurance_type")
    categories = _field(fields.hardship, "、".join(hardship_categories), "hardship_categories")
    registered_on = _field(fields.a_date, registered_on, "registered_on", label="户籍登记日期")
    if registered_on < parsed.birth_date:
        raise invalid("registered_on", "户籍登记日期早于出生日期", Code.INVALID_DATE)
    encrypted, id_hash, masked = seal_id_number(parsed.value)
    if Member.objects.filter(id_hash=id_hash).exists():
        raise invalid("id_number", "该身份证号已在本镇登记", Code.DUPLICATE_ID_NUMBER)
    phone_encrypted, phone_hash, phone_masked = seal_phone(phone)
    member = Member.objects.create(
        household=household,
        name=name,
        id_number_encrypted=encrypted,
        id_hash=id_hash,
        id_masked=masked,
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        relation=relation,
        phone_encrypted=phone_encrypted,
        phone_hash=phone_hash,
        phone_masked=phone_masked,
        insurance_type=insurance_type,
        hardship_categories=categories,
        registered_on=registered_on,
    )
    if relation == Relation.HEAD and household.head_id is None:
        household.head = member
        household.save(update_fields=["head"])
    record_event(actor, "enrolment.member.added", member, {"household": household.number})
    return member


def update_member(
    member: Member,
    *,
    actor,
    name: str | None = None,
    relation: str | None = None,
    phone: str | None = None,
    insurance_type: str | None = None,
    hardship_categories: Sequence[str] | None = None,
    status: str | None = None,
) -> Member:
    changed: list[str] = []
    if name is not None:
        name = clean_text(name, field="name", max_length=max_length_of(Member, "name"), label="姓名")
        if not name:
            raise invalid("name", "请填写姓名", Code.REQUIRED)
        member.name = name
        changed.append("name")
    if relation is not None:
        member.relation = _field(fields.relation, relation, "relation")
        changed.append("relation")
    if phone is not None:
        phone = normalise_mobile(phone, field="phone", code=Code.INVALID_PHONE.value) if phone.strip() else ""
        member.phone_encrypted, member.phone_hash, member.phone_masked = seal_phone(phone)
        changed += ["phone_encrypted", "phone_hash", "phone_masked"]
    if insurance_type is not None:
        member.insurance_type = _field(fields.insurance, insurance_type, "insurance_type")
        changed.append("insurance_type")
    if hardship_categories is not None:
        member.hardship_categories = _field(
            fields.hardship, "、".join(hardship_categories), "hardship_categories"
        )
        changed.append("hardship_categories")
    if status is not None:
        if status not in MemberStatus.values:
            raise invalid("status", f"状态“{status}”不正确", Code.INVALID_CHOICE)
        member.status = status
        changed.append("status")
    if changed:
        member.save(update_fields=[*changed, "updated_at"])
        # Field names only: the values may be personal data.
        record_event(actor, "enrolment.member.updated", member, {"fields": sorted(set(changed))})
    return member


# --- enrolment ----------------------------------------------------------------------------------------------------


def _facts(member: Member) -> rules.MemberFacts:
    return rules.MemberFacts(
        member.pk, member.status, member.registered_on, tuple(member.hardship_categories)
    )


@transaction.atomic
def enrol_households(
    households: Sequence[Household], terms: EnrolmentTerms, *, now: datetime, actor
) -> list[Enrolment]:
    """Enrol households for ``terms.scheme_year``: every member on the register at the snapshot date joins, except
    those in a group the policy excludes (see ``rules``). All or nothing: any refusal writes nothing.

    Refusals: ``outside_enrolment_window`` (``now`` outside [opens, closes 24:00] Asia/Shanghai),
    ``already_enrolled``, ``no_eligible_members``, ``excluded_group`` (every eligible member excluded),
    ``enrolled_elsewhere`` (a member enrolled in another town that year, from the cross-town index).
    """
    if not rules.window_is_open(terms, now):
        raise invalid(
            "now",
            f"不在{terms.scheme_year}互助年度交费期内（{terms.enrolment_opens:%Y年%-m月%-d日}至"
            f"{terms.enrolment_closes:%Y年%-m月%-d日}24时），交费截止后不再接受交费参加",
            Code.OUTSIDE_ENROLMENT_WINDOW,
        )
    households = list({h.pk: h for h in households}.values())
    if not households:
        raise invalid("households", "请选择要登记参加的户", Code.REQUIRED)
    ids = [h.pk for h in households]
    # Lock the households so that two coordinators cannot enrol the same one twice.
    list(Household.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    already = set(
        Enrolment.objects.filter(household_id__in=ids, scheme_year=terms.scheme_year).values_list(
            "household__number", flat=True
        )
    )
    if already:
        raise invalid(
            "households",
            f"以下户已登记参加{terms.scheme_year}年度：{'、'.join(sorted(already)[:20])}",
            Code.ALREADY_ENROLLED,
        )
    members_by_household: dict[int, list[Member]] = {pk: [] for pk in ids}
    for member in Member.objects.filter(household_id__in=ids).only(
        "id", "household_id", "status", "registered_on", "hardship_categories", "id_hash"
    ):
        members_by_household[member.household_id].append(member)
    plans = {}
    for household in households:
        members = members_by_household[household.pk]
        plan = rules.plan_household(terms, (_facts(m) for m in members))
        if not plan.joining:
            if plan.excluded:
                raise invalid(
                    "households",
                    f"户 {household.number} 的在册成员均属本年度不参加互助的困难群体",
                    Code.EXCLUDED_GROUP,
                )
            raise invalid(
                "households",
                f"户 {household.number} 没有{terms.register_snapshot_date:%Y年%-m月%-d日}户籍在册的成员",
                Code.NO_ELIGIBLE_MEMBERS,
            )
        plans[household.pk] = plan
    hash_by_member = {m.pk: m.id_hash for ms in members_by_household.values() for m in ms}
    joining_hashes = [hash_by_member[key] for plan in plans.values() for key in plan.joining]
    try:
        index.claim(joining_hashes, town_code(), terms.scheme_year)
    except index.EnrolledElsewhere as exc:
        numbers = sorted(
            {h.number for h in households for key in plans[h.pk].joining if hash_by_member[key] in exc.hashes}
        )
        raise invalid(
            "households",
            f"以下户有成员已在其他乡镇参加{terms.scheme_year}年度互助：{'、'.join(numbers[:20])}",
            Code.ENROLLED_ELSEWHERE,
        ) from exc
    stamp = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                household_id=h.pk,
                scheme_year=terms.scheme_year,
                policy_id=terms.policy_id,
                policy_version=terms.version,
                member_count=len(plans[h.pk].joining),
                due_fen=plans[h.pk].due_fen,
                due_by_source=plans[h.pk].due_by_source,
                enrolled_at=stamp,
                enrolled_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
            )
            for h in households
        ]
    )
    EnrolledMember.objects.bulk_create(
        [
            EnrolledMember(
                enrolment=e,
                member_id=key,
                scheme_year=terms.scheme_year,
                due_fen=sum(plans[e.household_id].fees[key].values()),
                due_by_source=plans[e.household_id].fees[key],
            )
            for e in enrolments
            for key in plans[e.household_id].joining
        ],
        batch_size=2000,
    )
    for enrolment in enrolments:
        plan = plans[enrolment.household_id]
        record_event(
            actor,
            "enrolment.household.enrolled",
            enrolment,
            {
                "scheme_year": terms.scheme_year,
                "policy_id": terms.policy_id,
                "members": len(plan.joining),
                "excluded": [category for _, category in plan.excluded],
                "due_fen": plan.due_fen,
            },
        )
    return enrolments


# --- contributions ------------------------------------------------------------------------------------------------


def received_by_source(enrolment: Enrolment) -> dict[str, int]:
    totals: dict[str, int] = {}
    for amounts in enrolment.contributions.filter(reversal__isnull=True).values_list(
        "amounts_by_source", flat=True
    ):
        for source, fen in amounts.items():
            totals[source] = totals.get(source, 0) + fen
    return totals


def outstanding_by_source(enrolment: Enrolment) -> dict[str, int]:
    received = received_by_source(enrolment)
    return {
        source: due - received.get(source, 0)
        for source, due in enrolment.due_by_source.items()
        if due - received.get(source, 0) > 0
    }


def _ledger_error(exc: ValidationError) -> ValidationError:
    messages = "；".join(str(m) for m in exc.messages)
    return invalid("ledger", f"记账失败：{messages}", Code.LEDGER)


def _window_text(terms: EnrolmentTerms) -> str:
    return (
        f"{terms.scheme_year}互助年度交费期（{terms.enrolment_opens:%Y年%-m月%-d日}至"
        f"{terms.enrolment_closes:%Y年%-m月%-d日}24时）"
    )


def _source_label(source: str) -> str:
    return FundingSource(source).label if source in FundingSource.values else source


def _yuan(fen: int) -> str:
    return f"{fen_to_yuan(fen)} 元"


def _amounts(amounts_by_source: dict[str, int] | None, outstanding: dict[str, int]) -> dict[str, int]:
    """What this contribution receives, by source: everything outstanding by default. Refusals, each with its
    own code: nothing is outstanding (``already_paid``), no or only zero amounts (``required`` /
    ``invalid_amount``), a source with nothing due or paid beyond what is due (``overpayment``)."""
    due_text = "、".join(f"{_source_label(s)} {_yuan(fen)}" for s, fen in outstanding.items())
    if not outstanding:
        raise invalid("amounts", "该户本年度互助费已全部收讫，无需再收款", Code.ALREADY_PAID)
    if amounts_by_source is None:
        return dict(outstanding)
    amounts = {}
    for source, fen in amounts_by_source.items():
        if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
            raise invalid("amounts", "金额应为非负整数（分）", Code.INVALID_AMOUNT)
        if fen:
            amounts[source] = fen
    if not amounts_by_source:
        raise invalid("amounts", f"请填写收款金额（本户应收未收：{due_text}）", Code.REQUIRED)
    if not amounts:
        raise invalid("amounts", f"收款金额不能为 0（本户应收未收：{due_text}）", Code.INVALID_AMOUNT)
    for source, fen in amounts.items():
        left = outstanding.get(source, 0)
        if not left:
            raise invalid(
                "amounts",
                f"本户没有应由“{_source_label(source)}”交的互助费（本户应收未收：{due_text}）",
                Code.OVERPAYMENT,
            )
        if fen > left:
            raise invalid(
                "amounts",
                f"“{_source_label(source)}”收款 {_yuan(fen)}，超过应收未收的 {_yuan(left)}",
                Code.OVERPAYMENT,
            )
    return amounts


@transaction.atomic
def record_contribution(
    enrolment: Enrolment,
    *,
    method: str,
    receipt_number: str,
    reference: str = "",
    amounts_by_source: dict[str, int] | None = None,
    received_on: date | None = None,
    terms: EnrolmentTerms | None = None,
    actor,
) -> Contribution:
    """Money received for an enrolment: cash collected by the village coordinator, a bank transfer or a mobile
    payment, with a receipt number. ``amounts_by_source`` defaults to everything still outstanding; no source may
    be paid more than is due. Posts one entry to the fund ledger and keeps its id.

    With ``terms`` (the API always gives the scheme year's), money received outside the enrolment window is
    refused like an enrolment (``outside_enrolment_window``): the day it was received (``received_on``, default
    today) must fall within the window, so a payment taken on the window's last day can still be entered after."""
    received = received_on or timezone.localdate()
    if received_on is not None and received_on > timezone.localdate():
        raise invalid("received_on", "收款日期晚于今天", Code.INVALID_DATE)
    if terms is not None and not rules.day_in_window(terms, received):
        raise invalid(
            "received_on",
            f"收款日期 {received:%Y年%-m月%-d日} 不在{_window_text(terms)}内，交费截止后不再接受交费",
            Code.OUTSIDE_ENROLMENT_WINDOW,
        )
    enrolment = Enrolment.objects.select_for_update().select_related("household").get(pk=enrolment.pk)
    if method not in PaymentMethod.values:
        raise invalid("method", f"收款方式“{method}”不正确", Code.INVALID_METHOD)
    receipt_number = clean_text(receipt_number, field="receipt_number", max_length=10_000, label="收据号")
    if not receipt_number:
        raise invalid("receipt_number", "请填写收据号", Code.REQUIRED)
    if len(receipt_number) > 64:
        raise invalid("receipt_number", "收据号不超过 64 个字符", Code.INVALID_CHOICE)
    reference = clean_text(
        reference, field="reference", max_length=max_length_of(Contribution, "reference"), label="流水号"
    )
    if method != PaymentMethod.CASH and not reference:
        raise invalid("reference", "银行转账或移动支付请填写流水号", Code.REQUIRED)
    if Contribution.objects.filter(receipt_number=receipt_number).exists():
        raise invalid("receipt_number", f"收据号 {receipt_number} 已使用", Code.DUPLICATE_RECEIPT)
    amounts = _amounts(amounts_by_source, outstanding_by_source(enrolment))
    try:
        entry = post_contribution(
            enrolment.scheme_year,
            amounts,
            method=method,
            reference=(reference or receipt_number)[:100],
            memo=f"户 {enrolment.household.number} {enrolment.scheme_year}年度互助费（收据 {receipt_number}）"[
                :200
            ],
            actor=actor,
            received_on=received_on,
        )
    except ValidationError as exc:
        raise _ledger_error(exc) from exc
    contribution = Contribution.objects.create(
        enrolment=enrolment,
        scheme_year=enrolment.scheme_year,
        method=method,
        receipt_number=receipt_number,
        reference=reference,
        amount_fen=sum(amounts.values()),
        amounts_by_source=amounts,
        received_on=received,
        journal_entry_id=entry.pk,
        recorded_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        actor,
        "enrolment.contribution.recorded",
        contribution,
        {"amount_fen": contribution.amount_fen, "by_source": amounts, "method": method, "entry_id": entry.pk},
    )
    return contribution


@transaction.atomic
def reverse_contribution(contribution: Contribution, *, reason: str, actor) -> ContributionReversal:
    """Fees are not refunded (互助费不退回); a recording error is corrected by reversing its ledger entry."""
    contribution = Contribution.objects.select_for_update().get(pk=contribution.pk)
    reason = clean_text(
        reason, field="reason", max_length=max_length_of(ContributionReversal, "reason"), label="冲销原因"
    )
    if not reason:
        raise invalid("reason", "请填写冲销原因", Code.REQUIRED)
    if ContributionReversal.objects.filter(contribution=contribution).exists():
        raise invalid("contribution_id", "该笔收入已冲销", Code.ALREADY_REVERSED)
    if contribution.journal_entry_id is None:
        raise invalid("contribution_id", "该笔收入没有记账凭证，无法冲销", Code.LEDGER)
    try:
        entry = reverse_entry(contribution.journal_entry_id, reason=reason, actor=actor)
    except ValidationError as exc:
        raise _ledger_error(exc) from exc
    reversal = ContributionReversal.objects.create(
        contribution=contribution,
        reason=reason,
        journal_entry_id=entry.pk,
        reversed_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
    )
    record_event(
        actor,
        "enrolment.contribution.reversed",
        contribution,
        {"amount_fen": contribution.amount_fen, "entry_id": entry.pk, "reason": reason},
    )
    return reversal


__all__ = ["InsuranceType", "add_member", "enrol_households", "record_contribution", "reverse_contribution"]


# --- roster imports -----------------------------------------------------------------------------------------------


def submit_roster_import(
    file_name: str, content: bytes, *, village_code: str | None = None, actor, enqueue: bool = True
):
    """Store an uploaded roster, check its type and columns, and queue the import (after commit)."""
    if len(content) > roster.MAX_FILE_BYTES:
        raise invalid("file", "文件超过 50 MB，请按村拆分后导入", Code.FILE_TOO_LARGE)
    file_format = roster.detect_format(file_name, content[:4096])
    with tempfile.NamedTemporaryFile(suffix=f".{file_format}", delete=False) as handle:
        handle.write(content)
    try:
        roster.check_file(handle.name, file_format)
    finally:
        os.unlink(handle.name)
    if village_code and not Village.objects.filter(code=village_code).exists():
        raise invalid("village_code", f"村 {village_code} 不存在", Code.INVALID_VILLAGE_CODE)
    job = ImportJob(
        file_name=os.path.basename(file_name)[:200],
        file_format=file_format,
        village_code=village_code or "",
        created_by_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
    )
    job.file.save(f"roster.{file_format}", ContentFile(content), save=False)
    job.save()
    record_event(
        actor, "enrolment.roster.submitted", job, {"format": file_format, "village": village_code or ""}
    )
    if enqueue:
        job_id = job.pk
        transaction.on_commit(lambda: import_roster.delay(job_id))
    return job
