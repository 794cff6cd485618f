"""Smoke run of the production path, over HTTP only: a county bureau onboards a town (the provisioning task runs
on a Celery worker through Redis), the town admin signs in with the password from the SMS, publishes the
policy, imports a roster (a worker again), enrols households and records their contributions; the fund balances
and the county sees the town. Towns stay apart."""

from __future__ import annotations

import base64
import io
import json
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from tests.stack.harness import (
    admin_phone,
    create_village,
    enrol,
    fund_summary,
    household_ids,
    invite,
    login,
    move_clock,
    onboard_town,
    publish_policy,
    record_contribution,
    roster_csv,
    sms_to,
    start_import,
    trial_balance,
    wait_import,
)

pytestmark = pytest.mark.stack
DAGONG, QUTANG, XINSHENG = "320685107", "320685102", "500152116"  # 雅周镇 is the fault runs' town


def document_png(label: str) -> bytes:
    """A small photo of a document (what a phone uploads), different for each kind."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 120), "white")
    ImageDraw.Draw(image).text((10, 50), label, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_town_from_onboarding_to_a_balanced_fund(stack, haian, tongnan):
    admin = onboard_town(stack, haian, DAGONG)
    year = publish_policy(admin, DAGONG)

    village = f"{DAGONG}201"
    create_village(admin, DAGONG, village)
    job = wait_import(admin, DAGONG, start_import(admin, DAGONG, roster_csv(village, households=40)))
    assert job == {
        "status": "DONE", "rowsTotal": 120, "rowsDone": 120, "createdCount": 120, "updatedCount": 0,
        "unchangedCount": 0, "errorCount": 0,
    }  # fmt: skip
    # The same file again changes nothing.
    again = wait_import(admin, DAGONG, start_import(admin, DAGONG, roster_csv(village, households=40)))
    assert (again["status"], again["unchangedCount"], again["createdCount"]) == ("DONE", 120, 0)

    households = household_ids(admin, DAGONG, village)
    assert len(households) == 40
    enrolments = enrol(admin, DAGONG, year, households[:10])
    assert [e["memberCount"] for e in enrolments] == [3] * 10
    paid = [
        record_contribution(admin, DAGONG, e["id"], f"SMOKE-{n:03d}") for n, e in enumerate(enrolments[:7])
    ]
    received = sum(Decimal(c["amount"]) for c in paid)
    assert received == sum(Decimal(e["due"]) for e in enrolments[:7]) > 0

    summary = fund_summary(admin, DAGONG, year)
    assert Decimal(summary["bank"]) == Decimal(summary["income"]) == received
    assert sum(Decimal(s["amount"]) for s in summary["incomeBySource"]) == received
    balance = trial_balance(admin, DAGONG, year)
    assert balance["balanced"] and Decimal(balance["totalDebit"]) == Decimal(balance["totalCredit"])

    # The county bureau sees its active town; the other county's bureau does not.
    seen = haian.gql("query($c: String!) { town(code: $c) { status } }", {"c": DAGONG}).data("town")
    assert seen == {"status": "ACTIVE"}
    other = tongnan.gql("query($c: String!) { town(code: $c) { status } }", {"c": DAGONG})
    assert other.status == 200 and (other.body.get("data") or {}).get("town") is None

    # Another town's admin cannot read this town.
    xinsheng_admin = onboard_town(stack, tongnan, XINSHENG)
    foreign = xinsheng_admin.gql(
        "query($y: Int!) { fundSummary(schemeYear: $y) { bank } }", {"y": year}, town=DAGONG
    )
    assert foreign.status in (200, 403) and not (foreign.body.get("data") or {}).get("fundSummary")


def test_production_settings_are_in_force(stack):
    env = stack.info["env"]
    assert env["MUTUALAID_ENV"] == "production"
    assert (
        env["DATABASE_URL"]
        .split("@")[1]
        .startswith(f"127.0.0.1:{stack.info['services']['pgbouncer']['port']}/")
    )
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert {name for name in stack.info["services"]} == {
        "postgres", "pgbouncer", "redis", "web", "worker1", "worker2", "beat",
    }  # fmt: skip
    # DEBUG is off: an unknown page is a plain 404, not Django's technical page.
    from tests.stack.harness import Client

    reply = Client(stack.url).post("/no-such-page/", {})
    assert reply.status == 404 and "Traceback" not in str(reply.body)


def test_a_claim_applied_approved_batched_paid_and_seen_by_the_county(stack, haian):
    """A member's hospital stay, from application to the bank, over HTTP only; then the fund and the county.

    Two rules of the domain shape the dates, and neither is bent:

    * enrolment must be open when the households enrol and pay, and coverage cannot start before enrolment closes
      (``policies.validation``: 交费期截止日 ≤ 保障期开始日), while a stay admitted after today cannot be claimed.
      So the town's scheme year is this year (海安's document: coverage 1 July – 30 June of the next year) with the
      late window of a town that joins in its first year, as 新胜镇's 2022 did: the register and the window open
      yesterday, the window closes today and coverage starts today (to 30 June next year, claims until 31 Dec next
      year). The stay is admitted and discharged today, in coverage, with no waiting period in either document.
    * a month's payout batch pays the subsidies approved up to the end of the previous month, and no batch is made
      for a future month. A subsidy approved today is paid in next month's batch; the stack's clock
      (``deploy/local-stack --clock-file``: web, workers and beat under libfaketime; PostgreSQL keeps real time)
      is moved to 00:05 on the 1st of next month (Asia/Shanghai) before the town admin gathers the batch, and
      everyone signs in again (their tokens expired with the month).

    Must not run across midnight in Shanghai (the window closes at the end of today), and moves the stack's clock
    for the rest of the session, so it is the last test of the suite to use the stack's dates.
    """
    town, county = QUTANG, "320685"
    shanghai = ZoneInfo("Asia/Shanghai")
    now = datetime.now(shanghai)
    to_midnight = (
        datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), shanghai) - now
    ).seconds
    if to_midnight < 600:  # the window closes at midnight: start on the new day rather than cross it
        time.sleep(to_midnight + 5)
    today = datetime.now(shanghai).date()
    year = today.year
    admin = onboard_town(stack, haian, town)
    admin_password = sms_to(stack, admin_phone(town), r"初始密码 (\S+)").group(1)

    # The scheme year with a late window that is open today; coverage from today.
    applied = admin.gql(
        """mutation($y: Int!) { policyPresetApply(key: "auto", schemeYear: $y) {
             policy { id coverageEnd claimDeadline } errors { field code message } } }""",
        {"y": year},
        town=town,
    ).data("policyPresetApply")
    assert applied["errors"] == [], applied
    policy_id = applied["policy"]["id"]
    assert date.fromisoformat(applied["policy"]["coverageEnd"]) > today
    yesterday = str(today - timedelta(days=1))
    updated = admin.gql(
        """mutation($id: ID!, $o: Date!, $c: Date!) { policyDraftUpdate(id: $id, input: {registerSnapshotDate: $o,
             enrolmentOpens: $o, enrolmentCloses: $c, coverageStart: $c}) { errors { field code message } } }""",
        {"id": policy_id, "o": yesterday, "c": str(today)},
        town=town,
    ).data("policyDraftUpdate")
    assert updated["errors"] == [], updated
    published = admin.gql(
        "mutation($id: ID!) { policyPublish(id: $id) { policy { status } errors { field code message } } }",
        {"id": policy_id},
        town=town,
    ).data("policyPublish")
    assert published["errors"] == [] and published["policy"]["status"] == "PUBLISHED", published

    # Households enrol and pay.
    village = f"{town}201"
    create_village(admin, town, village)
    decided = admin.gql(
        """mutation($v: String!, $d: String!) { recordVillageDecision(villageCode: $v, joined: true,
             resolutionDate: $d) { errors { field code message } } }""",
        {"v": village, "d": yesterday},
        town=town,
    ).data("recordVillageDecision")
    assert decided["errors"] == [], decided  # 村民代表会议决议参加
    job = wait_import(admin, town, start_import(admin, town, roster_csv(village, households=12, seed=7)))
    assert (job["status"], job["createdCount"]) == ("DONE", 36), job
    enrolments = enrol(admin, town, year, household_ids(admin, town, village)[:10])
    paid = [record_contribution(admin, town, e["id"], f"CLAIM-{n:03d}") for n, e in enumerate(enrolments)]
    received = sum(Decimal(c["amount"]) for c in paid)
    assert received > 0

    # The people: town finance (invited by the admin), a service firm made by platform staff and contracted by
    # the county, its manager (invited by platform staff) and a reviewer (invited by the manager).
    password = "Stack-smoke-2026"
    finance = invite(stack, admin, "13700109001", password, town=town, role="TOWN_FINANCE")
    platform = login(stack.url, "stack_platform", stack.info["logins"]["password"])
    firm = platform.gql(
        """mutation { serviceFirmCreate(name: "曲塘互助服务有限公司", creditCode: "91320685MA0000001X") {
             firm { id } errors { code message } } }"""
    ).data("serviceFirmCreate")
    assert firm["errors"] == [], firm
    firm_id = firm["firm"]["id"]
    contracted = haian.gql(
        """mutation($f: ID!, $t: String!) { serviceFirmSetTown(firmId: $f, townCode: $t, serves: true) {
             errors { code message } } }""",
        {"f": firm_id, "t": town},
    ).data("serviceFirmSetTown")
    assert contracted["errors"] == [], contracted
    manager = invite(stack, platform, "13700109002", password, role="FIRM_MANAGER", firmId=firm_id)
    reviewer = invite(stack, manager, "13700109003", password, role="FIRM_REVIEWER", firmId=firm_id)

    # The town office applies for a member's stay, uploads the three documents and submits.
    member_id = admin.gql(
        """query($v: String!) { members(villageCode: $v, first: 1) { edges { node { id } } } }""",
        {"v": village},
        town=town,
    ).data("members")["edges"][0]["node"]["id"]
    card = "6228480402564890018"
    stay = {
        "hospitalName": "海安市人民医院", "hospitalLevel": "SECONDARY", "hospitalDesignated": True,
        "hospitalMainland": True, "admissionDate": str(today), "dischargeDate": str(today), "inpatient": True,
        "cause": "ILLNESS", "insuranceType": "RESIDENT", "totalCost": "12000.00", "insurancePaid": "8000.00",
        "outOfPocket": "4000.00", "diagnosisCodes": ["J18.900"], "bankCard": card, "bankName": "中国农业银行海安支行",
    }  # fmt: skip
    created = admin.gql(
        """mutation($m: ID!, $i: ClaimInput!) { applyForClaim(memberId: $m, input: $i) {
             claim { id state schemeYear } errors { field code message } } }""",
        {"m": member_id, "i": stay},
        town=town,
    ).data("applyForClaim")
    assert created["errors"] == [] and created["claim"]["schemeYear"] == year, created
    claim_id = created["claim"]["id"]
    for kind in ("DISCHARGE_RECORD", "COST_LIST", "INSURANCE_STATEMENT"):
        uploaded = admin.gql_upload(
            """mutation($c: ID!, $k: ClaimDocumentKind!, $f: Upload!) { uploadClaimDocument(claimId: $c, kind: $k,
                 file: $f) { document { id } errors { field code message } } }""",
            {"c": claim_id, "k": kind},
            {"f": (f"{kind.lower()}.png", document_png(kind), "image/png")},
            town=town,
        ).data("uploadClaimDocument")
        assert uploaded["errors"] == [], uploaded
    submitted = admin.gql(
        "mutation($id: ID!) { submitClaim(id: $id) { claim { state } errors { field code message } } }",
        {"id": claim_id},
        town=town,
    ).data("submitClaim")
    assert submitted["errors"] == [] and submitted["claim"]["state"] == "SUBMITTED", submitted

    # The firm's reviewer finds it in the cross-town queue, reviews and approves it.
    queue = reviewer.gql("{ reviewQueue(first: 50) { edges { node { townCode claimId state } } } }").data(
        "reviewQueue"
    )
    assert {"townCode": town, "claimId": claim_id, "state": "SUBMITTED"} in [
        e["node"] for e in queue["edges"]
    ]
    started = reviewer.gql(
        "mutation($id: ID!) { startClaimReview(id: $id) { claim { state } errors { field code message } } }",
        {"id": claim_id},
        town=town,
    ).data("startClaimReview")
    assert started["errors"] == [] and started["claim"]["state"] == "IN_REVIEW", started
    approved = reviewer.gql(
        """mutation($id: ID!) { approveClaim(id: $id, drgCode: "ES35", overrideReason: "出院记录：肺炎，无并发症",
             note: "材料齐全") { claim { state amount drgCode } errors { field code message } } }""",
        {"id": claim_id},
        town=town,
    ).data("approveClaim")
    assert approved["errors"] == [], approved
    subsidy = Decimal(
        "600.00"
    )  # ES35's quota in 海安's table, below the out-of-pocket 4,000 and the per-stay cap
    assert approved["claim"]["state"] == "APPROVED" and Decimal(approved["claim"]["amount"]) == subsidy, (
        approved
    )

    # A month's batch pays what was approved up to the end of the month before: this subsidy is in next month's.
    first_of_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    target = datetime.combine(first_of_next, datetime.min.time(), shanghai) + timedelta(minutes=5)
    move_clock(stack, int(target.timestamp() - time.time()))
    admin = login(stack.url, f"admin_{town}", admin_password)
    finance = login(stack.url, finance.username, password)
    haian = login(stack.url, "stack_haian", stack.info["logins"]["password"])

    bank_before = Decimal(fund_summary(finance, town, year)["bank"])
    prepared = admin.gql(
        """mutation { preparePayoutBatch { created batch { id month state lineCount total
             lines { id kind state amount claimId } } errors { field code message } } }""",
        town=town,
    ).data("preparePayoutBatch")
    assert prepared["errors"] == [], prepared
    batch = prepared["batch"]
    assert batch["month"] == str(first_of_next) and batch["state"] == "PREPARED", batch
    subsidy_lines = [line for line in batch["lines"] if line["kind"] == "SUBSIDY"]
    assert [(line["claimId"], Decimal(line["amount"])) for line in subsidy_lines] == [(claim_id, subsidy)]
    total = Decimal(batch["total"])
    assert total == sum(Decimal(line["amount"]) for line in batch["lines"]) >= subsidy

    # Town finance, not the admin who prepared it, approves, exports the bank file (which pays the batch) and
    # downloads it again over HTTP.
    same = admin.gql(
        "mutation($id: ID!) { approvePayoutBatch(id: $id) { errors { code } } }",
        {"id": batch["id"]},
        town=town,
    )
    refused = (same.body.get("data") or {}).get("approvePayoutBatch") or {}
    assert same.status == 200 and (refused.get("errors") or same.body.get("errors")), same.body
    approved_batch = finance.gql(
        """mutation($id: ID!) { approvePayoutBatch(id: $id) { batch { state approvedByUsername }
             errors { field code message } } }""",
        {"id": batch["id"]},
        town=town,
    ).data("approvePayoutBatch")
    assert approved_batch["errors"] == [] and approved_batch["batch"]["state"] == "APPROVED", approved_batch
    exported = finance.gql(
        """mutation($id: ID!) { exportPayoutBatch(id: $id, format: CSV) { batch { state files { name url } }
             file { fileName contentBase64 } errors { field code message } } }""",
        {"id": batch["id"]},
        town=town,
    ).data("exportPayoutBatch")
    assert exported["errors"] == [] and exported["batch"]["state"] == "EXPORTED", exported
    bank_url = next(f["url"] for f in exported["batch"]["files"] if f["url"].endswith("bank.csv"))
    status, content, headers = finance.get(urlparse(bank_url).path)
    assert status == 200 and "attachment" in headers.get("Content-Disposition", ""), (status, headers)
    text = content.decode("utf-8-sig")
    assert card in text and str(subsidy) in text
    assert card in base64.b64decode(exported["file"]["contentBase64"]).decode("utf-8-sig")

    # The bank paid every line: marked by hand.
    marked = finance.gql(
        """mutation($id: ID!, $l: [PayoutLineResultInput!]!) { markPayoutLines(id: $id, lines: $l) {
             batch { state } errors { field code message } } }""",
        {"id": batch["id"], "l": [{"lineId": line["id"], "paid": True} for line in batch["lines"]]},
        town=town,
    ).data("markPayoutLines")
    assert marked["errors"] == [] and marked["batch"]["state"] == "SETTLED", marked
    claim = admin.gql("query($id: ID!) { claim(id: $id) { state } }", {"id": claim_id}, town=town).data(
        "claim"
    )
    assert claim == {"state": "PAID"}

    # The fund balances: the bank paid the batch, nothing is owed for the subsidy.
    summary = fund_summary(finance, town, year)
    assert Decimal(summary["bank"]) == bank_before - total == received - total
    balance = finance.gql(
        """query($y: Int!) { fundTrialBalance(schemeYear: $y) { balanced totalDebit totalCredit
             rows { account { key } balance } } }""",
        {"y": year},
        town=town,
    ).data("fundTrialBalance")
    assert balance["balanced"] and Decimal(balance["totalDebit"]) == Decimal(balance["totalCredit"])
    rows = {row["account"]["key"]: Decimal(row["balance"]) for row in balance["rows"]}
    assert rows["bank"] == received - total
    assert rows.get("payable:subsidies", Decimal(0)) == 0 and rows["expense:subsidies"] == subsidy

    # The county reads the town's rollup once the workers have refreshed it (a minute after the last change).
    wanted = {"enrolledHouseholds": 10, "enrolledPeople": 30, "subsidies": subsidy, "paidOut": subsidy}
    deadline = time.monotonic() + 300
    while True:
        dashboard = haian.gql(
            """query($c: String!, $y: Int!) { countyDashboard(countyCode: $c, schemeYear: $y) { towns {
                 townCode villagesJoined eligibleHouseholds enrolledHouseholds eligibleHouseholdsInJoined
                 enrolledHouseholdsInJoined eligiblePeople enrolledPeople
                 personSharePercent income subsidies paidOut balance claimsDecided claimsByState } } }""",
            {"c": county, "y": year},
        ).data("countyDashboard")
        line = next((t for t in dashboard["towns"] if t["townCode"] == town), None)
        seen = line and {
            "enrolledHouseholds": line["enrolledHouseholds"], "enrolledPeople": line["enrolledPeople"],
            "subsidies": Decimal(line["subsidies"]), "paidOut": Decimal(line["paidOut"]),
        }  # fmt: skip
        if seen == wanted:
            break
        assert time.monotonic() < deadline, (seen, line)
        time.sleep(2)
    assert Decimal(line["income"]) == received and Decimal(line["balance"]) == received - total
    assert line["claimsDecided"] == 1
    # Participation: the one village joined, 10 of its 12 households and 30 of 36 people paid.
    assert (line["villagesJoined"], line["eligibleHouseholds"], line["eligiblePeople"]) == (1, 12, 36), line
    assert (line["eligibleHouseholdsInJoined"], line["enrolledHouseholdsInJoined"]) == (12, 10), line
    assert abs(line["personSharePercent"] - 100 * 30 / 36) < 0.1, line
    by_state = {k.lower(): v for k, v in json.loads(line["claimsByState"]).items()}
    assert by_state.get("paid") == 1, by_state
