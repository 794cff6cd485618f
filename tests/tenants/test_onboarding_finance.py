"""A new town gets its finance role filled at onboarding, or its admin is told it must be invited."""

from io import StringIO

from django.core.management import call_command

from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.models import OneTimeCode, RoleAssignment
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.models import County
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.tenants import actions
from mutualaid.tenants.notices import FINANCE_MISSING
from mutualaid.tenants.provisioning import provision_town
from tests.factories import graphql, make_user

ADMIN, FINANCE = "13912345678", "13812345678"


def _sms_to(phone: str) -> list[str]:
    return [m.text for m in RecordingSmsBackend.outbox if m.phone == phone]


def test_a_finance_phone_at_onboarding_invites_the_finance_user(haizhen, django_capture_on_commit_callbacks):
    sent = len(RecordingSmsBackend.outbox)
    town = actions.request_onboarding(
        haizhen, admin_phone=ADMIN, finance_phone="138-1234-5678", enqueue=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        provision_town(town.pk)
    finance = RoleAssignment.objects.select_related("user").get(town=town, role=Role.TOWN_FINANCE).user
    assert finance.username == "finance_320685100" and not finance.has_usable_password()
    assert people.phone_of(finance) == FINANCE
    assert OneTimeCode.objects.filter(user=finance, purpose="invitation", used_at__isnull=True).count() == 1
    new = RecordingSmsBackend.outbox[sent:]
    assert any(m.phone == FINANCE and "验证码" in m.text and "镇财政" in m.text for m in new)
    admin_sms = [m.text for m in new if m.phone == ADMIN]
    assert len(admin_sms) == 1 and "镇财政人员（138****5678）已收到邀请短信" in admin_sms[0]
    # the admin can reset a forgotten password by SMS: their number is on their account
    admin = RoleAssignment.objects.get(town=town, role=Role.TOWN_ADMIN).user
    assert people.user_by_phone(ADMIN) == admin


def test_without_a_finance_phone_the_admins_first_sms_says_finance_must_be_invited(
    haizhen, django_capture_on_commit_callbacks
):
    sent = len(RecordingSmsBackend.outbox)
    town = actions.request_onboarding(haizhen, admin_phone=ADMIN, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        password = provision_town(town.pk)
    admin_sms = [m.text for m in RecordingSmsBackend.outbox[sent:] if m.phone == ADMIN]
    assert len(admin_sms) == 1 and FINANCE_MISSING in admin_sms[0]
    assert admin_sms[0].rsplit("初始密码 ", 1)[1] == password
    assert not RoleAssignment.objects.filter(town=town, role=Role.TOWN_FINANCE).exists()


def test_the_finance_phone_of_a_deactivated_account_does_not_stop_onboarding(
    haizhen, django_capture_on_commit_callbacks
):
    gone = make_user()
    people.set_phone(gone, FINANCE)
    gone.is_active = False
    gone.save()
    town = actions.request_onboarding(haizhen, admin_phone=ADMIN, finance_phone=FINANCE, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        provision_town(town.pk)
    town.refresh_from_db()
    assert town.status == "active"
    assert "镇财政人员邀请未成功" in _sms_to(ADMIN)[-1]


ONBOARD = """mutation($finance: String) { onboardTown(code: "320685100", adminPhone: "13912345678",
  financePhone: $finance) { town { code } notice errors { field code } } }"""


def test_onboard_town_api_takes_a_finance_phone_or_says_it_must_be_invited(haizhen):
    bureau = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685"))
    bad = graphql(bureau, ONBOARD, {"finance": "12345"})["data"]["onboardTown"]
    assert bad["errors"] == [{"field": "financePhone", "code": "INVALID_PHONE"}] and bad["town"] is None

    without = graphql(bureau, ONBOARD)["data"]["onboardTown"]
    assert without["errors"] == [] and without["notice"] == FINANCE_MISSING


def test_onboard_town_api_with_a_finance_phone_has_no_notice(haizhen):
    bureau = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="320685"))
    result = graphql(bureau, ONBOARD, {"finance": FINANCE})["data"]["onboardTown"]
    assert result["errors"] == [] and result["notice"] is None


def test_towns_onboard_command_reports_the_finance_user(haizhen, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "towns", "onboard", "320685100", "--admin-phone", ADMIN, "--finance-phone", FINANCE, stdout=out
        )
    assert "镇财政：finance_320685100（已发送邀请短信" in out.getvalue()
    assert any("验证码" in text for text in _sms_to(FINANCE))


def test_towns_onboard_command_without_finance_says_it_must_be_invited(haizhen):
    out = StringIO()
    call_command("towns", "onboard", "320685100", stdout=out)
    assert FINANCE_MISSING in out.getvalue()
