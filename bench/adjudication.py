"""Claims adjudication: pure decisions per second over generated stays, and a month of claims approved through the
action layer (member-year locks, decisions with their inputs, expense/payable posting, events, audit, queue, SMS
notices) in one town: the reviewers' daily lists (``approve_many``), and single approvals (``approve``) for the
cost of one transaction each.

Goals: ≥ 20,000 decisions/s; 10,000 approvals < 30 s.
Usage: python bench/adjudication.py [--stays 100000] [--claims 10000]
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from _setup import emit, setup

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEMA = "bench_claims"
TOWN = "500152116"


def xinsheng_terms():
    from mutualaid.claims.adjudication import PolicyTerms
    from mutualaid.policies.presets import XINSHENG_2022

    v = XINSHENG_2022.values
    return PolicyTerms(
        policy_id=1,
        version=1,
        scheme_year=v.scheme_year,
        coverage_start=v.coverage_start,
        coverage_end=v.coverage_end,
        claim_deadline=v.claim_deadline,
        thresholds=tuple((t.insurance_type, t.basis, t.amount_fen) for t in v.thresholds),
        per_stay_min_fen=v.per_stay_min_fen or 0,
        per_stay_max_fen=v.per_stay_max_fen,
        yearly_cap_fen=v.yearly_cap_fen,
        excluded_causes=frozenset(v.excluded_causes),
        designated_hospitals_only=v.designated_hospitals_only,
        mainland_only=v.mainland_only,
        unlisted_drg_rule=v.unlisted_drg_rule,
        subsidy_table=tuple(sorted((r.drg_code, r.amount_fen) for r in v.subsidy_table)),
    )


def stays(count: int, codes: list[str]):
    from mutualaid.claims.adjudication import History, Stay

    rng = random.Random(15)
    causes = ("illness",) * 17 + ("accident", "check_up", "work_injury")
    insurance = ("resident",) * 16 + ("employee", "employee", "none", "none")
    result = []
    for _ in range(count):
        admitted = date(2022, 11, 1) + timedelta(days=rng.randrange(365))
        total = rng.randrange(2_000_00, 300_000_00)
        kind = rng.choice(insurance)
        paid = 0 if kind == "none" else total * rng.randrange(30, 75) // 100
        stay = Stay(
            admission_date=admitted,
            discharge_date=admitted + timedelta(days=rng.randrange(1, 30)),
            inpatient=rng.random() > 0.03,
            hospital_designated=rng.random() > 0.05,
            hospital_mainland=rng.random() > 0.005,
            cause=rng.choice(causes),
            insurance_type=kind,
            total_cost_fen=total,
            insurance_paid_fen=paid,
            out_of_pocket_fen=total - paid,
            drg_code=rng.choice(codes),
            filed_on=admitted + timedelta(days=rng.randrange(5, 400)),
        )
        history = History(approved_fen=rng.choice((0, 0, 0, 20_000_00, 95_000_00)))
        result.append((stay, history))
    return result


def pure(count: int) -> float:
    from mutualaid.claims.adjudication import adjudicate

    terms = xinsheng_terms()
    codes = [code for code, _ in terms.subsidy_table] + ["FR23", "GZ15", ""]
    generated = stays(count, codes)
    started = time.perf_counter()
    approved = 0
    for stay, history in generated:
        approved += adjudicate(terms, True, stay, history).eligible
    seconds = time.perf_counter() - started
    print(
        f"pure: {count:,} decisions in {seconds:.2f} s = {count / seconds:,.0f}/s ({approved:,} approvable)"
    )
    return count / seconds


def prepare_town(claims: int):
    """A town schema cloned from the template with the 2022 preset published, catalogue rows, ``claims``
    enrolled members and one claim each in review."""
    from django.db import connection
    from django.utils import timezone
    from django_tenants.clone import CloneSchema

    from mutualaid.claims.models import Claim, ClaimState
    from mutualaid.drg.models import Adrg, CatalogueVersion, Drg, IcdCode, Mdc
    from mutualaid.enrolment.models import EnrolledMember, Enrolment, Household, Member, Village
    from mutualaid.funds.postings import post_contribution
    from mutualaid.platform import crypto
    from mutualaid.platform.regions.models import County
    from mutualaid.policies.actions import apply_preset
    from mutualaid.policies.presets import DEFAULT_TABLE_CHS_11
    from mutualaid.tenants.migration import template_schema
    from mutualaid.tenants.models import Town, TownStatus

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    town = Town.objects.create(
        code=TOWN, name="新胜镇", slug="xinsheng", schema_name=SCHEMA,
        county=County.objects.get(code="500152"), status=TownStatus.ACTIVE,
    )  # fmt: skip
    version, _ = CatalogueVersion.objects.get_or_create(code="chs-drg-1.1", defaults={"name": "CHS-DRG 1.1"})
    for row in DEFAULT_TABLE_CHS_11:
        mdc, _ = Mdc.objects.get_or_create(
            version=version, code=f"MDC{row.drg_code[0]}", defaults={"name": "x"}
        )
        adrg, _ = Adrg.objects.get_or_create(
            version=version, code=row.drg_code[:3], defaults={"mdc": mdc, "name": "x"}
        )
        Drg.objects.get_or_create(
            version=version,
            code=row.drg_code,
            defaults={"adrg": adrg, "name": row.drg_name, "split": row.drg_code[3]},
        )
    IcdCode.objects.get_or_create(kind="diagnosis", code="C34.900", defaults={"name": "支气管或肺恶性肿瘤"})
    connection.set_tenant(town)
    apply_preset("xinsheng-2022", None, publish=True)
    post_contribution(
        2022, {"town_finance": 10**10}, method="bank_transfer", reference="bench", memo="", actor=None
    )
    village = Village.objects.create(code=f"{TOWN}201", name="基准村", joined=True)
    households = Household.objects.bulk_create(
        Household(number=f"B{n:06d}", village=village) for n in range(claims)
    )
    phone = crypto.encrypt("13900000000")
    members = Member.objects.bulk_create(
        Member(
            household=h, name="基准", id_number_encrypted="x", id_hash=f"{n:064d}", id_masked="x", sex="M",
            birth_date=date(1960, 1, 1), relation="head", phone_encrypted=phone, phone_masked="139****0000",
            insurance_type="resident", registered_on=date(2000, 1, 1),
        )
        for n, h in enumerate(households)
    )  # fmt: skip
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(household=h, scheme_year=2022, member_count=1, due_fen=4500, enrolled_at=now)
        for h in households
    )
    EnrolledMember.objects.bulk_create(
        EnrolledMember(enrolment=e, member=m, scheme_year=2022, due_fen=4500)
        for e, m in zip(enrolments, members, strict=True)
    )
    codes = [row.drg_code for row in DEFAULT_TABLE_CHS_11]
    rng = random.Random(3)
    rows = []
    for n, m in enumerate(members):
        admitted = date(2023, 3, 1) + timedelta(days=n % 28)
        total = rng.randrange(20_000_00, 200_000_00)
        paid = total // 2
        rows.append(
            Claim(
                member=m, village_code=village.code, household_id=m.household_id, scheme_year=2022,
                state=ClaimState.IN_REVIEW, hospital_name="潼南区人民医院", hospital_level="secondary",
                hospital_designated=True, hospital_mainland=True, admission_date=admitted,
                discharge_date=admitted + timedelta(days=5), inpatient=True, cause="illness",
                insurance_type="resident", total_cost_fen=total, insurance_paid_fen=paid,
                out_of_pocket_fen=total - paid, diagnosis_codes=["C34.900"], drg_code=codes[n % len(codes)],
                bank_card_encrypted="x", bank_card_masked="6228 **** **** 0000", filed_on=date(2023, 4, 3),
                submitted_at=datetime(2023, 4, 3, 9, tzinfo=SHANGHAI), due_date=date(2023, 4, 10),
            )
        )  # fmt: skip
    return town, Claim.objects.bulk_create(rows)


def month(claims: int, singles: int) -> tuple[float, float]:
    """A month of claims approved by the reviewers' daily lists (``approve_many``, 22 working days), then
    ``singles`` more approved one by one (``approve``, one transaction each)."""
    from django.db import connection

    from mutualaid.claims import actions, selectors
    from mutualaid.claims.models import Claim
    from mutualaid.funds.ledger import balance_of

    _town, rows = prepare_town(claims + singles)
    ids = [c.pk for c in rows]
    batch_ids, single_ids = ids[:claims], ids[claims:]
    days = 22
    started = time.perf_counter()
    for day in range(days):
        chunk = batch_ids[day::days]
        with selectors.clock_at(datetime(2023, 4, 7, 10, tzinfo=SHANGHAI)):
            actions.approve_many(Claim.objects.filter(pk__in=chunk), actor=None)
    seconds = time.perf_counter() - started
    payable = balance_of(2022, "payable:subsidies")
    print(f"month: {claims:,} approvals in {days} daily lists in {seconds:.1f} s ({claims / seconds:,.0f}/s); "
          f"payables {payable / 100:,.2f} 元")  # fmt: skip
    started = time.perf_counter()
    with selectors.clock_at(datetime(2023, 4, 7, 10, tzinfo=SHANGHAI)):
        for pk in single_ids:
            actions.approve(Claim.objects.get(pk=pk), actor=None)
    single = (time.perf_counter() - started) / max(singles, 1)
    print(f"single: {singles:,} approvals one by one, {single * 1000:.1f} ms each")
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    return seconds, single


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stays", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--singles", type=int, default=300)
    args = parser.parse_args()
    setup("bench_adjudication")
    per_s = pure(args.stays)
    seconds, single = month(args.claims, args.singles)
    emit(
        {
            "bench": "adjudication",
            "stays": args.stays,
            "decisions_per_s": round(per_s),
            "claims": args.claims,
            "month_10000_s": round(seconds * 10_000 / args.claims, 2),
            "approvals_per_s": round(args.claims / seconds),
            "single_approval_ms": round(single * 1000, 1),
        }
    )


if __name__ == "__main__":
    main()
