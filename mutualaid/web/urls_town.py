"""The console's pages of one town (mounted by mutualaid/project/urls_town.py: /t/<code>/… and the sub-domain).
A new area adds its patterns here and its menu items in its views module (``mutualaid.web.nav``)."""

from django.urls import path

from mutualaid.web.views import (
    audit,
    auth,
    claims,
    dashboard,
    disclosure,
    ledger,
    member,
    payouts,
    people,
    platform,
    policies,
    roster,
    survey,
    users,
)

urlpatterns = [
    path("login/", auth.login_view, name="web-login"),
    path("logout/", auth.logout_view, name="web-logout"),
    path("language/", auth.language_view, name="web-language"),
    path("console/", dashboard.town_home, name="web-town-home"),
    path("console/policies/", policies.policy_list, name="web-policies"),
    path("console/policies/<int:pk>/", policies.policy_detail, name="web-policy"),
    path("console/villages/", people.villages, name="web-villages"),
    path("console/households/<int:pk>/", people.household, name="web-household"),
    path("console/enrolment/", people.enrolment, name="web-enrolment"),
    path("console/roster/", roster.roster, name="web-roster"),
    path("console/roster/<int:pk>/", roster.roster_job, name="web-roster-job"),
    path("console/roster/<int:pk>/errors", roster.roster_errors, name="web-roster-errors"),
    path("console/ledger/", ledger.trial_balance, name="web-ledger"),
    path("console/ledger/<str:key>/", ledger.statement, name="web-statement"),
    path("console/claims/", claims.claim_list, name="web-claims"),
    path("console/users/", users.users, name="web-users"),
    path("console/payouts/", payouts.batch_list, name="web-payouts"),
    path("console/payouts/<int:pk>/", payouts.batch_detail, name="web-payout-batch"),
    path("console/payouts/recoveries/", payouts.recoveries, name="web-payout-recoveries"),
    path("console/payouts/recover/<int:claim_pk>/", payouts.recover, name="web-payout-recover"),
    path("console/payouts/reconciliation/", payouts.reconciliation, name="web-payout-reconciliation"),
    path("console/payouts/village/", payouts.village_payouts, name="web-village-payouts"),
    # disclosure (公示), objections (异议) and the audit log (审计日志)
    path("console/disclosure/", disclosure.disclosure_list, name="web-disclosures"),
    path("console/disclosure/<int:pk>/", disclosure.disclosure_detail, name="web-disclosure"),
    path("console/objections/", disclosure.objection_list, name="web-objections"),
    path("console/objections/<int:pk>/", disclosure.objection_detail, name="web-objection"),
    path("console/audit/", audit.audit_log, name="web-audit-log"),
    path("console/review/", platform.town_review_queue, name="web-town-review-queue"),
    path("claims/<int:pk>/", claims.claim_detail, name="web-claim"),
    path("claims/<int:pk>/documents/<int:document_pk>", claims.claim_document, name="web-claim-document"),
    path("claims/new/<int:member_pk>/", claims.claim_new, name="web-claim-new"),
    path("m/", member.member_home, name="web-member-home"),
    path("m/login/", auth.member_login_view, name="web-member-login"),
    path("m/survey/", survey.member_survey, name="web-member-survey"),
]
