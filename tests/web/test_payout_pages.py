"""The payout pages a town office uses every month: the town admin prepares the month's batch and takes a line out,
finance approves it (never the preparer: refused in Chinese), exports the bank file and records the bank's return
(by file or by hand); the printouts and bank files download; bank reconciliation; recovery of a subsidy got by
fraud with its repayments; a village coordinator's 本村补助."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client

from mutualaid.claims.models import Claim, ClaimState
from mutualaid.funds.chart import BANK
from mutualaid.funds.models import JournalLine
from mutualaid.payouts import actions, bank_return, rules
from mutualaid.payouts.models import BatchState, LineState, PayoutBatch, Reconciliation, Recovery
from tests.payouts.conftest import APRIL, april, claims  # noqa: F401 - fixtures
from tests.web.conftest import TOWN

PAYOUTS = f"{TOWN}/console/payouts/"


class TownClient(Client):
    """A test client that puts the connection back in the town's schema after each request (a request ends in
    the public schema), so a test reads the town's rows between requests."""

    town = None

    def request(self, **request):
        try:
            return super().request(**request)
        finally:
            connection.set_tenant(self.town)


@pytest.fixture
def as_user(scheme):  # this module's: signed in as ``user``, reading the town between requests
    def client_for(user) -> Client:
        client = TownClient()
        client.town = scheme.town
        if user is not None:
            client.force_login(user)
        return client

    return client_for


def page(response) -> str:
    return response.content.decode()


def batch_url(batch) -> str:
    return f"{PAYOUTS}{batch.pk}/"


def return_file(batch, rows) -> bytes:
    text = ["流水号,户名,金额,状态,失败原因"]
    for line, status, reason in rows:
        text.append(
            f"{rules.line_reference(batch.month, line.pk)},{line.payee_name},{rules.yuan_text(line.amount_fen)},"
            f"{status},{reason}"
        )
    return "\n".join(text).encode("gbk")


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def exported(users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    batch, _ = actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    return batch


def test_the_admin_prepares_the_months_batch_and_takes_a_line_out(claims, users, as_user):  # noqa: F811
    admin = as_user(users["town_admin"])
    listing = page(admin.get(PAYOUTS))
    assert 'id="prepare"' in listing and "2023-04" in listing
    # when the admin asks for this month's batch
    response = admin.post(PAYOUTS, {"action": "prepare"})
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(batch_url(batch))
    html = page(admin.get(batch_url(batch)))
    # then its lines are there, names masked, with the village totals and the printouts
    assert batch.line_count == 3 and "王*山" in html and "王大山" not in html
    assert "6228 **** **** 0018" in html and "6228480402564890018" not in html
    assert 'id="village-totals"' in html and "石盘村" in html and "龙滩村" in html
    assert html.count('<option value="500152116201"') == 1  # the village filter names each village once
    assert "detail.pdf" in html and "summary.xlsx" in html and "bank.csv" not in html
    assert "已编制（待财务审批）" in html and 'id="approve"' not in html  # the admin does not approve
    # a line taken out without a reason: said in Chinese, nothing changed
    line = batch.lines.get(claim_id=claims["neighbour"].pk)
    refused = page(admin.post(batch_url(batch), {"action": "remove", "line": line.pk, "reason": ""}))
    assert "必填" in refused
    assert batch.lines.get(pk=line.pk).state == LineState.PENDING
    admin.post(batch_url(batch), {"action": "remove", "line": line.pk, "reason": "银行卡号待核实"})
    batch.refresh_from_db()
    assert batch.lines.get(pk=line.pk).state == LineState.REMOVED and batch.total_fen == 800_000
    assert Claim.objects.get(pk=claims["neighbour"].pk).state == ClaimState.APPROVED
    # the list shows the month with its state and totals
    listing = page(admin.get(PAYOUTS))
    assert "8,000.00" in listing and 'id="prepare"' not in listing


def test_finance_may_not_approve_a_batch_it_prepared_and_approves_the_admins(claims, users, as_user):  # noqa: F811
    finance = as_user(users["town_finance"])
    own, _ = actions.gather_batch(APRIL, actor=users["town_finance"])
    # the preparer's approval is refused with the typed error, in Chinese
    html = page(finance.post(batch_url(own), {"action": "approve"}))
    assert "编制人不能审批自己编制的发放批次" in html
    own.refresh_from_db()
    assert own.state == BatchState.PREPARED and own.approved_by_id is None
    # prepared by the admin instead, finance approves it
    PayoutBatch.objects.filter(pk=own.pk).update(prepared_by_id=users["town_admin"].pk)
    response = finance.post(batch_url(own), {"action": "approve"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.state == BatchState.APPROVED and own.approved_by_id == users["town_finance"].pk
    assert "已审批（待导出银行文件）" in page(finance.get(batch_url(own)))


def test_finance_exports_downloads_and_records_the_banks_return(claims, users, as_user):  # noqa: F811
    finance = as_user(users["town_finance"])
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    response = finance.post(batch_url(batch), {"action": "export", "format": "csv"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.EXPORTED
    html = page(finance.get(batch_url(batch)))
    assert "bank.csv" in html and 'id="return-form"' in html
    # the downloads answer with their content types
    bank = finance.get(f"{TOWN}/payouts/{batch.pk}/bank.csv")
    assert bank.status_code == 200 and bank["Content-Type"].startswith("text/csv")
    assert "6228480402564890018" in bank.content.decode("utf-8-sig")
    summary = finance.get(f"{TOWN}/payouts/{batch.pk}/summary.pdf")
    assert summary.status_code == 200 and summary["Content-Type"] == "application/pdf"
    assert summary.content.startswith(b"%PDF")
    detail = finance.get(f"{TOWN}/payouts/{batch.pk}/detail.xlsx")
    assert detail["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    lines = {line.claim_id: line for line in batch.lines.all()}
    head, spouse, neighbour = (lines[claims[k].pk] for k in ("head", "spouse", "neighbour"))
    # a return file naming a line of no batch: refused as a whole, the error listed next to the file
    bad = return_file(batch, [(head, "成功", "")]).replace(f"-{head.pk},".encode(), b"-999999,")
    html = page(finance.post(batch_url(batch), {"action": "import_return", "file": upload("回盘.csv", bad)}))
    assert "不属于本批次" in html
    assert batch.lines.filter(state=LineState.PENDING).count() == 3
    # the bank's file: two paid, one returned with its reason
    good = return_file(batch, [(head, "成功", ""), (spouse, "失败", "户名与卡号不符")])
    finance.post(batch_url(batch), {"action": "import_return", "file": upload("回盘.csv", good)})
    assert Claim.objects.get(pk=claims["head"].pk).state == ClaimState.PAID
    assert Claim.objects.get(pk=claims["spouse"].pk).state == ClaimState.APPROVED
    html = page(finance.get(batch_url(batch)))
    assert "户名与卡号不符" in html
    # the last line by hand: a return needs its reason, then paid
    refused = page(
        finance.post(batch_url(batch), {"action": "mark", "line": neighbour.pk, "result": "returned"})
    )
    assert "请填写原因" in refused
    finance.post(batch_url(batch), {"action": "mark", "line": neighbour.pk, "result": "paid"})
    batch.refresh_from_db()
    assert batch.state == BatchState.SETTLED
    assert "已回盘（发放完成）" in page(finance.get(batch_url(batch)))
    # a paid line recalled afterwards is reversed with its reason: the claim goes to the next batch
    html = page(finance.post(batch_url(batch), {"action": "reverse", "line": neighbour.pk, "reason": ""}))
    assert "必填" in html and batch.lines.get(pk=neighbour.pk).state == LineState.PAID
    finance.post(batch_url(batch), {"action": "reverse", "line": neighbour.pk, "reason": "银行追回误付款"})
    assert batch.lines.get(pk=neighbour.pk).state == LineState.REVERSED
    assert Claim.objects.get(pk=claims["neighbour"].pk).state == ClaimState.APPROVED


def test_finance_reconciles_the_bank_statement_and_books_the_interest(claims, users, as_user):  # noqa: F811
    exported(users)
    finance = as_user(users["town_finance"])
    url = f"{PAYOUTS}reconciliation/"
    rows = ["交易日期,交易金额,摘要"]
    for line in JournalLine.objects.filter(
        account__key=BANK, entry__entry_date__gte=date(2023, 4, 1), entry__entry_date__lt=date(2023, 5, 1)
    ).select_related("entry"):
        signed = line.amount_fen if line.side == "debit" else -line.amount_fen
        rows.append(f"{line.entry.entry_date.isoformat()},{rules.yuan_text(signed)},{line.entry.memo}")
    rows.append("2023-04-01,12.34,结息")
    statement = "\n".join(rows).encode("gbk")
    # a statement without an amount column is refused next to the file
    html = page(
        finance.post(
            url, {"month": "2023-04", "file": upload("对账单.csv", "交易日期,摘要\n2023-04-01,x".encode())}
        )
    )
    assert "缺少金额列" in html and not Reconciliation.objects.exists()
    response = finance.post(url, {"month": "2023-04", "file": upload("对账单.csv", statement)})
    assert response.status_code == 302
    recon = Reconciliation.objects.get()
    assert not recon.closed and recon.difference_fen == 1234 and len(recon.bank_only) == 1
    html = page(finance.get(url))
    assert "未对平" in html and "结息" in html and 'id="bank-only"' in html
    row = recon.bank_only[0]["row"]
    # booking without a reason is refused; with one, the month closes
    refused = page(finance.post(url, {"action": "book", "month": "2023-04", "row": row, "scheme_year": 2022}))
    assert "必填" in refused
    finance.post(
        url, {"action": "book", "month": "2023-04", "row": row, "scheme_year": 2022, "reason": "专户利息"}
    )
    recon.refresh_from_db()
    assert recon.closed and recon.difference_fen == 0
    assert "已对平，本月关账" in page(finance.get(url))


def test_the_admin_recovers_a_paid_claim_and_finance_records_repayments(claims, users, as_user):  # noqa: F811
    batch = exported(users)
    head = batch.lines.get(claim_id=claims["head"].pk)
    bank_return.mark_lines(batch, [(head.pk, True, "")], actor=users["town_finance"])
    admin, finance = as_user(users["town_admin"]), as_user(users["town_finance"])
    # the paid line offers recovery to the admin; the claim page loads the form for the admin only
    assert f"/console/payouts/recover/{claims['head'].pk}/" in page(admin.get(batch_url(batch)))
    claim_page = page(admin.get(f"{TOWN}/claims/{claims['head'].pk}/"))
    assert f"/console/payouts/recover/{claims['head'].pk}/" in claim_page
    url = f"{PAYOUTS}recover/{claims['head'].pk}/"
    assert 'id="recover-form"' in page(admin.get(url, HTTP_HX_REQUEST="true"))
    assert as_user(users["coordinator"]).get(url, HTTP_HX_REQUEST="true").status_code == 404
    # an unpaid claim cannot be recovered: the typed error in Chinese
    spouse_url = f"{PAYOUTS}recover/{claims['spouse'].pk}/"
    assert "只有已发放的补助可以追回" in page(admin.post(spouse_url, {"finding": "伪造发票"}))
    response = admin.post(url, {"finding": "伪造住院发票"})
    assert response.status_code == 302 and response["Location"].endswith("/console/payouts/recoveries/")
    recovery = Recovery.objects.get()
    assert Claim.objects.get(pk=claims["head"].pk).state == ClaimState.RECOVERED
    assert 'class="recover-link"' not in page(admin.get(batch_url(batch)))  # shown as 已追回 instead
    html = page(finance.get(f"{PAYOUTS}recoveries/"))
    assert "5,000.00" in html and "骗取" in html  # outstanding, and the town-wide notice
    # more than is owed: refused in Chinese; then a part repaid
    over = {"action": "repay", "recovery": recovery.pk, "amount": "6000", "paid_on": "2023-04-01"}
    assert "超过尚未追回" in page(finance.post(f"{PAYOUTS}recoveries/", over))
    finance.post(f"{PAYOUTS}recoveries/", {**over, "amount": "1000"})
    recovery.refresh_from_db()
    assert recovery.repaid_fen == 100_000 and recovery.outstanding_fen == 400_000
    assert "4,000.00" in page(finance.get(f"{PAYOUTS}recoveries/"))


def test_a_coordinator_sees_their_villages_paid_and_pending_subsidies(claims, users, as_user):  # noqa: F811
    batch = exported(users)
    head = batch.lines.get(claim_id=claims["head"].pk)
    bank_return.mark_lines(batch, [(head.pk, True, "")], actor=users["town_finance"])
    coordinator = as_user(users["coordinator"])
    html = page(coordinator.get(f"{PAYOUTS}village/"))
    # their village: 王大山 paid, 李小红 pending in the April batch, 钱五's (approved in April) pending; not 赵四
    assert "王大山" in html and "李小红" in html and "钱五" in html and "赵四" not in html
    assert 'data-status="paid"' in html and 'data-status="pending"' in html
    assert "5,000.00" in html  # paid
    assert 'name="viewport"' in html  # the phone layout
    # the menu offers 本村补助 to the coordinator, and no batches
    home = page(coordinator.get(f"{TOWN}/console/"))
    assert 'data-key="village-payouts"' in home and 'data-key="payouts"' not in home
    # another village's coordinator cannot ask for this village
    other = as_user(users["other_coordinator"]).get(f"{PAYOUTS}village/", {"village": "500152116201"})
    assert other.status_code == 404


def test_the_payout_pages_are_chinese_by_default_and_english_on_request(claims, users, as_user):  # noqa: F811
    admin = as_user(users["town_admin"])
    assert ">补助发放<" in page(admin.get(PAYOUTS, HTTP_ACCEPT_LANGUAGE="en-US"))
    admin.post(f"{TOWN}/language/", {"language": "en", "next": PAYOUTS})
    html = page(admin.get(PAYOUTS))
    assert ">Payouts<" in html and ">Recoveries<" in html and "Prepare this month" in html


def test_a_batch_page_costs_the_same_queries_for_one_line_and_for_all(claims, users, as_user):  # noqa: F811
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    finance = as_user(users["town_finance"])
    finance.get(batch_url(batch))  # warm the session and the grants
    counts = []
    for query in ({"village": "500152116202"}, {}):  # 龙滩村's one line, then all three
        with CaptureQueriesContext(db) as captured:
            assert finance.get(batch_url(batch), query).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_another_towns_batch_id_is_not_found(claims, users, as_user):  # noqa: F811
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    other = as_user(users["other_town_admin"])
    assert other.get(f"/t/320685107/console/payouts/{batch.pk}/").status_code == 404
    assert other.post(f"/t/320685107/console/payouts/{batch.pk}/", {"action": "remove"}).status_code == 404
