"""Who may read and change a town's scheme-year policy.

- Town admin (镇农业服务中心) edits drafts, publishes, amends, applies presets, uploads/scales/copies subsidy tables.
- Readers of full policy details, drafts included: the town admin, the county bureau of the town's county, the town's
  finance, reviewers of service firms serving the town (they adjudicate by it) and the town's village coordinators
  (they explain it to households).
- The provincial supervisor is refused: supervisors see aggregates only (DESIGN.md), and drafts are not public. The
  published rules are public anyway on the town's rules page (/rules/), so nothing is hidden from them that a villager
  can read. Members read the public page; other towns' staff and anonymous users are refused.
"""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

MANAGE_POLICY = Rule("manage_policy", Role.TOWN_ADMIN)
READ_POLICY = Rule(
    "read_policy",
    Role.TOWN_ADMIN,
    Role.COUNTY_BUREAU,
    Role.TOWN_FINANCE,
    Role.FIRM_REVIEWER,
    Role.VILLAGE_COORDINATOR,
)
