"""Who may do what with payout batches (checked in one place by the API and the download view).

The town admin (镇农业服务中心) prepares a month's batch and marks recoveries; town finance approves it (never the
person who prepared it), exports the bank file and records the bank's return; a village coordinator sees the
subsidies of their own village's members; reviewers and members see no batches.
"""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

PREPARE_BATCH = Rule("prepare_payout_batch", Role.TOWN_ADMIN)
APPROVE_BATCH = Rule("approve_payout_batch", Role.TOWN_FINANCE)
EXPORT_BATCH = Rule("export_payout_batch", Role.TOWN_FINANCE)
RECORD_RETURNS = Rule("record_payout_returns", Role.TOWN_FINANCE)
READ_BATCHES = Rule("read_payout_batches", Role.TOWN_ADMIN, Role.TOWN_FINANCE, Role.AUDITOR)
PRINT_BATCH = Rule("print_payout_batch", Role.TOWN_ADMIN, Role.TOWN_FINANCE)
READ_VILLAGE_PAYOUTS = Rule(
    "read_village_payouts", Role.VILLAGE_COORDINATOR, Role.TOWN_ADMIN, Role.TOWN_FINANCE
)
RECOVER_CLAIM = Rule("recover_claim", Role.TOWN_ADMIN)
RECORD_REPAYMENT = Rule("record_recovery_repayment", Role.TOWN_FINANCE)
REQUEST_WRITE_OFF = Rule("request_recovery_write_off", Role.TOWN_ADMIN)
APPROVE_WRITE_OFF = Rule("approve_recovery_write_off", Role.TOWN_FINANCE)
RECONCILE_BANK = Rule("reconcile_bank_statement", Role.TOWN_FINANCE)
