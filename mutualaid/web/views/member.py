"""The members' phone pages (Chinese): the household's enrolment and fee with the reference to quote when paying,
its claims and their status, and filing a claim (the claim pages are shared with the village coordinator)."""

from __future__ import annotations

from django.http import Http404

from mutualaid.claims import permissions as claim_perms
from mutualaid.claims.models import Claim
from mutualaid.enrolment import actions as enrolment_actions
from mutualaid.enrolment.models import Household
from mutualaid.platform.accounts.roles import Role
from mutualaid.web import nav
from mutualaid.web.access import render, town_code, town_page


def is_member(request) -> bool:
    return claim_perms.has_role_in(request.user, town_code(request), Role.MEMBER)


nav.register(
    nav.NavItem("member-home", "我的家庭", "web-member-home", site=nav.MEMBER, order=10, visible=is_member)
)


@town_page(check=is_member)
def member_home(request):
    ids = claim_perms.member_household_ids(request.user, town_code(request))
    if not ids:
        raise Http404("未找到页面")
    households = list(
        Household.objects.filter(pk__in=ids).select_related("village").prefetch_related("members")
    )
    for house in households:
        house.enrolment_rows = list(house.enrolments.order_by("-scheme_year"))
        for e in house.enrolment_rows:
            e.outstanding_fen = sum(enrolment_actions.outstanding_by_source(e).values())
            e.pay_reference = f"{town_code(request)}-{house.number}-{e.scheme_year}"
        house.member_rows = list(house.members.order_by("pk"))
    claims = Claim.objects.filter(household_id__in=ids).select_related("member").order_by("-created_at")
    return render(request, "web/member/home.html", {"households": households, "claims": claims})
