from django.db import connection

from mutualaid.funds.demo import demo_town_funds
from mutualaid.funds.ledger import year_summary
from mutualaid.funds.models import JournalEntry
from mutualaid.project.demo import town_demo_steps


def test_demo_step_is_registered():
    assert demo_town_funds in town_demo_steps()


def test_demo_step_records_haian_grants_pledge_and_donations_once(in_dagong):
    demo_town_funds(in_dagong)
    demo_town_funds(in_dagong)
    summary = year_summary(2022)
    assert summary.income_by_source["charity"] == 40_000_00
    assert summary.income_by_source["government_grant"] == 250_000_00
    assert summary.receivables_fen == 250_000_00 and summary.payables_fen == 250_000_00
    assert summary.income_by_source["person"] == 0  # contributions come from enrolment
    assert JournalEntry.objects.filter(kind="donation").exclude(receipt_number="").count() == 2
    assert JournalEntry.objects.count() == 6


def test_demo_step_for_xinsheng(xinsheng):
    connection.set_tenant(xinsheng)
    try:
        demo_town_funds(xinsheng)
        demo_town_funds(xinsheng)
        summary = year_summary(2022)
        assert (
            summary.income_by_source["charity"] == 30_000_00
            and summary.income_by_source["interest"] == 128_40
        )
        assert JournalEntry.objects.count() == 2
    finally:
        connection.set_schema_to_public()


def test_cli_prints_the_trial_balance(dagong):
    from io import StringIO

    from django.core.management import call_command

    connection.set_tenant(dagong)
    try:
        demo_town_funds(dagong)
    finally:
        connection.set_schema_to_public()
    out = StringIO()
    call_command("funds", "balance", dagong.code, "2022", stdout=out)
    text = out.getvalue()
    assert "大公镇 2022 互助年度" in text and "借贷平衡" in text and "1002 银行存款" in text
