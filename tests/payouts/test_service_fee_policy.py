"""The service firm's fee is settled in the batch only where the policy pays it from the fund (issue 16 item 9):
the registry's ``service_fee_from_fund`` (新胜镇 三（三）: 互助资金……用于……支付服务费 — yes, the default; 海安's
preset: the town's budget pays the firm), and a fee the town's budget pays is never a payable of the fund."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.funds import actions as fund_actions
from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, EXPENSE_SERVICE_FEES, PAYABLE_SERVICE_FEES
from mutualaid.payouts import actions, exports
from mutualaid.payouts.models import LineKind
from mutualaid.policies import actions as policy_actions
from mutualaid.policies.documents import PRESETS
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.parameters import BY_NAME, Kind
from mutualaid.policies.selectors import policy_in_force
from tests.payouts.conftest import APRIL


def codes(exc: ValidationError) -> dict[str, str]:
    return {field: errors[0].code for field, errors in exc.error_dict.items()}


def test_the_registry_has_the_flag_and_the_presets_follow_their_documents():
    parameter = BY_NAME["service_fee_from_fund"]
    assert parameter.kind is Kind.BOOL and parameter.default is True and not parameter.nullable
    assert PolicyVersion._meta.get_field("service_fee_from_fund").default is True
    assert PRESETS["xinsheng-2022"].values.service_fee_from_fund is True  # 三（三）
    assert PRESETS["haian-2022"].values.service_fee_from_fund is False  # 专款专用, no fee from the pool
    assert "service_fee_from_fund" in PRESETS["haian-2022"].notes


def _town_budget_pays_the_fee(actor) -> None:
    """An amendment of 新胜镇's 2022 policy: from 1 March 2023 the town's budget pays the firm."""
    draft = policy_actions.amend(policy_in_force(2022), date(2023, 3, 1), "服务费改由镇财政支付", actor)
    policy_actions.update_draft(draft, actor, service_fee_from_fund=False)
    policy_actions.publish(draft, actor)


def _accrue(amount_fen: int, on: date, actor):
    return fund_actions.accrue_expense(
        2022, expense="service_fees", amount_fen=amount_fen, incurred_on=on, payee="服务机构", actor=actor
    )


def test_the_fee_is_accrued_and_settled_in_the_batch_where_the_fund_pays_it(claims, users):
    assert fund_actions.service_fee_from_fund(2022)
    _accrue(80_000, date(2023, 2, 28), users["town_finance"])
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    assert batch.lines.get(kind=LineKind.SERVICE_FEE).amount_fen == 80_000
    assert batch.total_fen == 1_080_000


def test_where_the_town_budget_pays_the_fee_it_is_no_fund_payable(claims, users):
    _town_budget_pays_the_fee(users["town_admin"])
    assert not fund_actions.service_fee_from_fund(2022, date(2023, 3, 31))
    before = ledger.entries_count(2022)
    with pytest.raises(ValidationError) as exc:
        _accrue(80_000, date(2023, 3, 31), users["town_finance"])
    assert codes(exc.value) == {"scheme_year": "fee_not_from_fund"}
    assert ledger.entries_count(2022) == before
    assert ledger.balance_of(2022, PAYABLE_SERVICE_FEES) == 0


def test_the_batch_leaves_the_fee_out_where_the_town_budget_pays_it(claims, users):
    # owed from before the amendment (the fund paid the firm until March): no longer settled from the fund
    _accrue(80_000, date(2023, 2, 28), users["town_finance"])
    _town_budget_pays_the_fee(users["town_admin"])
    bank = ledger.balance_of(2022, BANK)

    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])

    assert not batch.lines.filter(kind=LineKind.SERVICE_FEE).exists()
    assert batch.total_fen == 1_000_000 and batch.line_count == 3
    villages, count, total = exports.summary(batch)
    assert "第三方服务费" not in [v.name for v in villages] and total == 1_000_000 and count == 3
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    assert ledger.balance_of(2022, BANK) == bank - 1_000_000  # the subsidies only
    assert ledger.balance_of(2022, PAYABLE_SERVICE_FEES) == 80_000  # untouched by the batch
    assert ledger.balance_of(2022, EXPENSE_SERVICE_FEES) == 80_000
    assert actions.batch_consistency(batch)["paid_out_fen"] == 1_000_000


def test_the_public_rules_say_who_pays_the_fee(claims, users):
    from mutualaid.policies.views import rules_context

    assert (
        rules_context(policy_in_force(2022))["service_fee"].value
        == "按互助资金的 10% 支付给第三方专业服务机构"
    )
    _town_budget_pays_the_fee(users["town_admin"])
    line = rules_context(policy_in_force(2022, date(2023, 3, 31)))["service_fee"]
    assert line.value == "按互助资金的 10% 计算，由镇财政预算支付给第三方专业服务机构（不从互助资金中支付）"
