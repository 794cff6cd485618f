"""A month of payouts in one town: 10,000 approved claims (20 villages) gathered into the month's batch, approved,
the detail list and summary written as PDF (embedded CJK font) and xlsx, the bank file (代发) exported as xlsx
and csv (the first export pays the batch in the ledger), and the bank's return imported with 1% returned.
Prints the wall-clock and CPU time of each step and the peak memory (max RSS of the process, set-up included);
the last line is JSON (each step's wall-clock and CPU seconds, and the load average at the end). On a shared
machine read the CPU figures next to the wall-clock ones, and compare two commits at the same size one after the
other: at 2,000 claims HEAD (b6a1719) and 9f74147 spend the same CPU in every step (4.58 s and 4.71 s in all).

Goal: the whole month in under 20 s and under 300 MB.
Usage: python bench/payout_batch.py [--claims 10000]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from _setup import emit, setup

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEMA = "bench_payouts"
TOWN = "500152116"
VILLAGES = 20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_town(claims: int):
    """A town schema cloned from the template with ``claims`` approved claims (one member each), their payables
    and the money in the bank, booked as the claims domain books them (one entry for all, for speed)."""
    from django.db import connection
    from django_tenants.clone import CloneSchema

    from mutualaid.platform.regions.models import County
    from mutualaid.tenants.migration import template_schema
    from mutualaid.tenants.models import Town, TownStatus

    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    CloneSchema().clone_schema(template_schema(), SCHEMA, "DATA")
    Town.objects.filter(code=TOWN).delete()
    town = Town.objects.create(
        code=TOWN, name="新胜镇", slug="xinsheng", schema_name=SCHEMA,
        county=County.objects.get(code="500152"), status=TownStatus.ACTIVE,
    )  # fmt: skip
    connection.set_tenant(town)
    seed_approved_claims(
        claims, town_code=TOWN, scheme_year=2022, decided=datetime(2023, 3, 20, 10, tzinfo=SHANGHAI),
        grant_on=date(2023, 1, 5),
    )  # fmt: skip
    return town


def seed_approved_claims(
    claims: int, *, town_code: str, scheme_year: int, decided: datetime, grant_on: date
) -> int:
    """In the current town schema: ``claims`` approved, unpaid claims (one member each, in VILLAGES villages),
    decided at ``decided``, with their payables and twice their total granted into the bank, booked as the
    claims domain books them (one entry for all, for speed). Also seeds the stack's payout fault
    (deploy/stack_seed_claims.py). Returns the claims' total in fen."""
    from datetime import timedelta

    from django.utils import timezone

    from mutualaid.claims.models import Claim, ClaimState
    from mutualaid.enrolment.models import EnrolledMember, Enrolment, Household, Member, Village
    from mutualaid.funds import ledger
    from mutualaid.funds.chart import BANK, EXPENSE_SUBSIDIES, PAYABLE_SUBSIDIES, income
    from mutualaid.funds.models import EntryKind
    from mutualaid.platform import crypto

    villages = Village.objects.bulk_create(
        Village(code=f"{town_code}{201 + v:03d}", name=f"基准{v + 1}村", joined=True) for v in range(VILLAGES)
    )
    households = Household.objects.bulk_create(
        Household(number=f"B{n:06d}", village=villages[n % VILLAGES]) for n in range(claims)
    )
    members = Member.objects.bulk_create(
        Member(
            household=h, name=f"成员{n:05d}", id_number_encrypted="x", id_hash=f"{n:064d}",
            id_masked="500223********0012", sex="M", birth_date=date(1960, 1, 1), relation="head",
            phone_encrypted="", phone_masked="", insurance_type="resident", registered_on=date(2000, 1, 1),
        )
        for n, h in enumerate(households)
    )  # fmt: skip
    now = timezone.now()
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(household=h, scheme_year=scheme_year, member_count=1, due_fen=4500, enrolled_at=now)
        for h in households
    )
    EnrolledMember.objects.bulk_create(
        EnrolledMember(enrolment=e, member=m, scheme_year=scheme_year, due_fen=4500)
        for e, m in zip(enrolments, members, strict=True)
    )
    cards = [f"62284804{n:011d}" for n in range(claims)]
    encrypted = crypto.encrypt_many(cards)
    admitted = decided.astimezone(SHANGHAI).date() - timedelta(days=19)
    rows = [
        Claim(
            member=m, village_code=villages[n % VILLAGES].code, household_id=m.household_id, scheme_year=scheme_year,
            state=ClaimState.APPROVED, hospital_name="潼南区人民医院", hospital_level="secondary",
            hospital_designated=True, hospital_mainland=True, admission_date=admitted,
            discharge_date=admitted + timedelta(days=5), inpatient=True, cause="illness", insurance_type="resident",
            total_cost_fen=5_000_000, insurance_paid_fen=3_000_000, out_of_pocket_fen=2_000_000,
            diagnosis_codes=["C34.900"], drg_code="ES23", bank_name="农村商业银行",
            bank_card_encrypted=encrypted[n], bank_card_masked=f"6228 **** **** {cards[n][-4:]}",
            amount_fen=200_000 + (n % 50) * 1_000, decided_at=decided,
        )
        for n, m in enumerate(members)
    ]  # fmt: skip
    Claim.objects.bulk_create(rows, batch_size=2000)
    total = sum(c.amount_fen or 0 for c in rows)
    from django.db import transaction

    with transaction.atomic():
        year = ledger.lock_year(scheme_year)
        ledger.post(
            year, EntryKind.GRANT, [ledger.debit(BANK, total * 2), ledger.credit(income("town_finance"), total * 2)],
            entry_date=grant_on, actor=None, memo="基准：拨款",
        )  # fmt: skip
        ledger.post(
            year, EntryKind.EXPENSE_ACCRUAL,
            [ledger.debit(EXPENSE_SUBSIDIES, total), ledger.credit(PAYABLE_SUBSIDIES, total)],
            entry_date=decided.astimezone(SHANGHAI).date(), actor=None, memo="基准：核准补助",
        )  # fmt: skip
    return total


def users():
    from mutualaid.platform.accounts.models import User

    admin, _ = User.objects.get_or_create(username="bench_payout_admin")
    finance, _ = User.objects.get_or_create(username="bench_payout_finance")
    return admin, finance


def run(claims: int) -> dict:
    from django.db import connection

    from mutualaid.claims import selectors
    from mutualaid.payouts import actions, bank_return, exports, rules
    from mutualaid.payouts.models import BatchState, LineState
    from mutualaid.tenants.models import Town

    admin, finance = users()
    connection.set_tenant(Town.objects.get(code=TOWN))
    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(name, work):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = work()
        steps[name] = round(time.perf_counter() - started, 2)
        cpu[name] = round(time.process_time() - started_cpu, 2)
        print(
            f"{name}: {steps[name]:.2f} s wall, {cpu[name]:.2f} s CPU of this process (peak {peak_mb():.0f} MB)"
        )
        return result

    april = date(2023, 4, 1)
    with selectors.clock_at(datetime(2023, 4, 1, 9, tzinfo=SHANGHAI)):
        batch, _ = timed("create_batch", lambda: actions.gather_batch(april, actor=admin))
        timed("approve", lambda: actions.approve_batch(batch, actor=finance))
        sizes = {}
        sizes["detail_pdf"] = len(timed("detail_pdf", lambda: exports.detail_pdf(batch)))
        sizes["summary_pdf"] = len(timed("summary_pdf", lambda: exports.summary_pdf(batch)))
        sizes["detail_xlsx"] = len(timed("detail_xlsx", lambda: exports.detail_xlsx(batch)))
        sizes["summary_xlsx"] = len(timed("summary_xlsx", lambda: exports.summary_xlsx(batch)))
        batch, bank_xlsx = timed("bank_xlsx", lambda: actions.export_batch(batch, fmt="xlsx", actor=finance))
        batch, bank_csv = timed("bank_csv", lambda: actions.export_batch(batch, fmt="csv", actor=finance))
        lines = list(batch.lines.order_by("pk").values_list("pk", "payee_name", "amount_fen"))

        def return_file() -> bytes:
            out = ["流水号,户名,金额,状态,失败原因"]
            for i, (pk, name, amount) in enumerate(lines):
                status = "失败,户名与卡号不符" if i % 100 == 0 else "成功,"
                out.append(
                    f"{rules.line_reference(batch.month, pk)},{name},{rules.yuan_text(amount)},{status}"
                )
            return "\n".join(out).encode("gb18030")

        content = return_file()
        batch = timed(
            "import_return",
            lambda: bank_return.import_return(batch, content, file_name="回盘.csv", actor=finance),
        )
    assert batch.state == BatchState.SETTLED
    returned = batch.lines.filter(state=LineState.RETURNED).count()
    figures = actions.batch_consistency(batch)
    assert figures["total_fen"] == figures["lines_fen"] == figures["paid_out_fen"]
    assert figures["back_fen"] == figures["not_paid_fen"]
    print(f"files: {sizes} bank xlsx {len(bank_xlsx):,} B, csv {len(bank_csv):,} B; returned {returned}")
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    return {"steps": steps, "cpu": cpu, "returned": returned, "pdf_bytes": sizes["detail_pdf"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument(
        "--prepare", action="store_true", help="only set up the town (run in a child process)"
    )
    args = parser.parse_args()
    if args.prepare:
        setup("bench_payouts")
        prepare_town(args.claims)
        return
    # The town is made in a child process, so the peak memory below is the month's steps' own (plus Django).
    subprocess.run([sys.executable, __file__, "--prepare", "--claims", str(args.claims)], check=True)
    if not os.environ.get("DATABASE_URL"):
        os.environ["MUTUALAID_DATABASE_NAME"] = "bench_payouts"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
    import django

    django.setup()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its progress lines
    result = run(args.claims)
    total = round(sum(result["steps"].values()), 2)
    emit(
        {
            "bench": "payout_batch",
            "claims": args.claims,
            **{f"{k}_s": v for k, v in result["steps"].items()},
            "returned": result["returned"],
            "total_s": total,
            "cpu_s": round(sum(result["cpu"].values()), 2),  # this process only (the database works too)
            **{f"{k}_cpu_s": v for k, v in result["cpu"].items()},
            "peak_mb": round(peak_mb()),
            # a loaded machine stretches wall-clock and CPU time alike: compare runs at similar loads
            "load_1m": round(os.getloadavg()[0], 1),
        }
    )


if __name__ == "__main__":
    main()
