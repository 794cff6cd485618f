"""The payout pages in the permission matrix: the roles a page is for get 200; every other role, another town's or
firm's people, get 404 (never another town's data); anonymous visitors are sent to the sign-in page. Every write
refused to a role changes nothing, and the role it is for gets through."""

from __future__ import annotations

import pytest

from mutualaid.claims.models import Claim
from mutualaid.funds.models import JournalEntry
from mutualaid.payouts import actions, bank_return, recoveries
from mutualaid.payouts.models import PayoutBatch, PayoutLine, Reconciliation, Recovery, Repayment, TownNotice
from tests.payouts.conftest import APRIL, april, claims  # noqa: F401 - fixtures
from tests.web.conftest import ROLES, TOWN
from tests.web.test_payout_pages import as_user, upload  # noqa: F401 - a fixture

ALL = ROLES
OFFICE = {"town_admin", "town_finance"}
VILLAGE = "500152116201"

PAGES = {
    "console/payouts/": OFFICE,
    "console/payouts/{batch}/": OFFICE,
    "console/payouts/recoveries/": OFFICE,
    "console/payouts/reconciliation/": {"town_finance"},
    "console/payouts/recover/{paid}/": {"town_admin"},
    "console/payouts/village/": {"coordinator", "other_coordinator", *OFFICE},
    f"console/payouts/village/?village={VILLAGE}": {"coordinator", *OFFICE},
}


@pytest.fixture
def world(claims, users):  # noqa: F811
    """The April batch exported, 王大山's line paid (a paid claim), the rest pending."""
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    batch, _ = actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    head = batch.lines.get(claim_id=claims["head"].pk)
    bank_return.mark_lines(batch, [(head.pk, True, "")], actor=users["town_finance"])
    return {"batch": batch, "paid": claims["head"].pk}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_payout_page_opens_only_for_its_roles(page, world, users, as_user):  # noqa: F811
    url = f"{TOWN}/" + page.format(batch=world["batch"].pk, paid=world["paid"])
    for name in ALL:
        response = as_user(users[name]).get(url)
        expected = 200 if name in PAGES[page] else 404
        assert response.status_code == expected, (name, url, response.status_code)
    anonymous = as_user(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_menus_show_the_payout_pages_their_rules_allow(world, users, as_user):  # noqa: F811
    def keys(name):
        html = as_user(users[name]).get(f"{TOWN}/console/").content.decode()
        return {
            k
            for k in ("payouts", "payout-recoveries", "payout-reconciliation", "village-payouts")
            if f'data-key="{k}"' in html
        }

    assert keys("town_admin") == {"payouts", "payout-recoveries"}
    assert keys("town_finance") == {"payouts", "payout-recoveries", "payout-reconciliation"}
    assert keys("coordinator") == {"village-payouts"}


def snapshot() -> tuple:
    return (
        list(PayoutBatch.objects.order_by("pk").values_list("pk", "state", "total_fen", "line_count")),
        list(PayoutLine.objects.order_by("pk").values_list("pk", "state", "return_reason", "removed_reason")),
        list(Claim.objects.order_by("pk").values_list("pk", "state")),
        list(Recovery.objects.order_by("pk").values_list("pk", "state", "repaid_fen", "written_off_fen")),
        Repayment.objects.count(),
        TownNotice.objects.count(),
        Reconciliation.objects.count(),
        JournalEntry.objects.count(),
    )


def _prepared(claims, users):  # noqa: F811
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    return f"console/payouts/{batch.pk}/", {
        "action": "remove",
        "line": batch.lines.order_by("pk").first().pk,
        "reason": "核实",
    }


def _exported(claims, users):  # noqa: F811
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    return actions.export_batch(batch, fmt="csv", actor=users["town_finance"])[0]


def _paid(claims, users):  # noqa: F811
    batch = _exported(claims, users)
    head = batch.lines.get(claim_id=claims["head"].pk)
    bank_return.mark_lines(batch, [(head.pk, True, "")], actor=users["town_finance"])
    return batch


def setup_prepare(claims, users):  # noqa: F811
    return "console/payouts/", {"action": "prepare"}


def setup_remove(claims, users):  # noqa: F811
    return _prepared(claims, users)


def setup_approve(claims, users):  # noqa: F811
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    return f"console/payouts/{batch.pk}/", {"action": "approve"}


def setup_export(claims, users):  # noqa: F811
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    return f"console/payouts/{batch.pk}/", {"action": "export", "format": "csv"}


def setup_mark(claims, users):  # noqa: F811
    batch = _exported(claims, users)
    line = batch.lines.order_by("pk").first()
    return f"console/payouts/{batch.pk}/", {"action": "mark", "line": line.pk, "result": "paid"}


def setup_reverse(claims, users):  # noqa: F811
    batch = _paid(claims, users)
    line = batch.lines.get(claim_id=claims["head"].pk)
    return f"console/payouts/{batch.pk}/", {"action": "reverse", "line": line.pk, "reason": "银行追回"}


def setup_import_return(claims, users):  # noqa: F811
    from tests.web.test_payout_pages import return_file

    batch = _exported(claims, users)
    content = return_file(batch, [(line, "成功", "") for line in batch.lines.order_by("pk")])
    return f"console/payouts/{batch.pk}/", {"action": "import_return", "file": ("回盘.csv", content)}


def setup_recover(claims, users):  # noqa: F811
    _paid(claims, users)
    return f"console/payouts/recover/{claims['head'].pk}/", {"finding": "伪造住院发票"}


def setup_repay(claims, users):  # noqa: F811
    _paid(claims, users)
    recovery = recoveries.recover_claim(
        Claim.objects.get(pk=claims["head"].pk), finding="伪造", actor=users["town_admin"]
    )
    return "console/payouts/recoveries/", {
        "action": "repay",
        "recovery": recovery.pk,
        "amount": "100",
        "paid_on": "2023-04-01",
    }


def setup_request_write_off(claims, users):  # noqa: F811
    _paid(claims, users)
    recovery = recoveries.recover_claim(
        Claim.objects.get(pk=claims["head"].pk), finding="伪造", actor=users["town_admin"]
    )
    return "console/payouts/recoveries/", {
        "action": "request_write_off",
        "recovery": recovery.pk,
        "reason": "已故",
    }


def setup_approve_write_off(claims, users):  # noqa: F811
    _paid(claims, users)
    claim = Claim.objects.get(pk=claims["head"].pk)
    recovery = recoveries.recover_claim(claim, finding="伪造", actor=users["town_admin"])
    recoveries.request_write_off(recovery, reason="已故无遗产", actor=users["town_admin"])
    return "console/payouts/recoveries/", {"action": "approve_write_off", "recovery": recovery.pk}


def setup_reconcile(claims, users):  # noqa: F811
    content = "交易日期,交易金额,摘要\n2022-12-01,1000000.00,测试拨款\n".encode()
    return "console/payouts/reconciliation/", {"month": "2022-12", "file": ("对账单.csv", content)}


OPERATIONS = {
    "prepare": (setup_prepare, {"town_admin"}),
    "remove": (setup_remove, {"town_admin"}),
    "approve": (setup_approve, {"town_finance"}),
    "export": (setup_export, {"town_finance"}),
    "mark": (setup_mark, {"town_finance"}),
    "reverse": (setup_reverse, {"town_finance"}),
    "import_return": (setup_import_return, {"town_finance"}),
    "recover": (setup_recover, {"town_admin"}),
    "repay": (setup_repay, {"town_finance"}),
    "request_write_off": (setup_request_write_off, {"town_admin"}),
    "approve_write_off": (setup_approve_write_off, {"town_finance"}),
    "reconcile": (setup_reconcile, {"town_finance"}),
}


def _data(data: dict) -> dict:
    return {k: upload(*v) if isinstance(v, tuple) else v for k, v in data.items()}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_refused_write_changes_nothing_and_the_allowed_role_gets_through(operation, claims, users, as_user):  # noqa: F811
    setup, allowed_roles = OPERATIONS[operation]
    path, data = setup(claims, users)
    url = f"{TOWN}/{path}"
    before = snapshot()
    for name in (*ALL, "anonymous"):
        if name in allowed_roles:
            continue
        response = as_user(users[name]).post(url, _data(data))
        expected = 302 if name == "anonymous" else 404
        assert response.status_code == expected, (operation, name, response.status_code)
        if name == "anonymous":
            assert "/login/" in response["Location"]
        assert snapshot() == before, (operation, name)
    for name in allowed_roles:
        response = as_user(users[name]).post(url, _data(data))
        assert response.status_code == 302, (operation, name, response.content.decode()[:2000])
        assert snapshot() != before, (operation, name)
