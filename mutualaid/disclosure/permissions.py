"""Who may do what with disclosures (checked in one place by the API and the pages).

The public reads published disclosures without signing in (``PUBLIC`` pages and queries need no rule). The town
admin drafts, reviews, publishes and revises them, sets how donors are shown, and holds an objected subsidy out of
the payout batch; town finance reads drafts. The service firm's reviewers answer objections (confirm or reopen
the claim) and record the re-review's outcome.
"""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

READ_DRAFTS = Rule("read_disclosure_drafts", Role.TOWN_ADMIN, Role.TOWN_FINANCE)
MANAGE_DISCLOSURES = Rule("manage_disclosures", Role.TOWN_ADMIN)
READ_OBJECTIONS = Rule("read_disclosure_objections", Role.TOWN_ADMIN, Role.FIRM_REVIEWER)
ANSWER_OBJECTIONS = Rule("answer_disclosure_objections", Role.FIRM_REVIEWER)
HOLD_SUBSIDY = Rule("hold_objected_subsidy", Role.TOWN_ADMIN)
# Anyone signed in with a role in the town (a member) may object under their account; others verify a phone.
OBJECT_SIGNED_IN = Rule("object_to_disclosure", Role.MEMBER, Role.VILLAGE_COORDINATOR)
# The town's audit log (who, what, when, which object), searchable: the town admin and the county's auditors
# (纪检监察/财政审计, read-only, for a town and a period). Each search is itself audited.
READ_AUDIT_LOG = Rule("read_audit_log", Role.TOWN_ADMIN, Role.AUDITOR)
