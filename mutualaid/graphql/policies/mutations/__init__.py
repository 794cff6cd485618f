"""The policy mutations (town schema), one module per small family; every one needs ``MANAGE_POLICY``."""

from __future__ import annotations

import graphene

from mutualaid.graphql.policies.mutations.drafts import (
    PolicyDraftCreate,
    PolicyDraftUpdate,
    PolicyFundingSharesSet,
    PolicySpecialGroupsSet,
    PolicyThresholdsSet,
)
from mutualaid.graphql.policies.mutations.lifecycle import (
    PolicyAmend,
    PolicyCopyToYear,
    PolicyPresetApply,
    PolicyPublish,
)
from mutualaid.graphql.policies.mutations.tables import (
    PolicySubsidyTableCopyFromPreviousYear,
    PolicySubsidyTableScale,
    PolicySubsidyTableUpload,
)


class PolicyMutations(graphene.ObjectType):
    policy_draft_create = PolicyDraftCreate.Field()
    policy_draft_update = PolicyDraftUpdate.Field()
    policy_funding_shares_set = PolicyFundingSharesSet.Field()
    policy_special_groups_set = PolicySpecialGroupsSet.Field()
    policy_thresholds_set = PolicyThresholdsSet.Field()
    policy_subsidy_table_upload = PolicySubsidyTableUpload.Field()
    policy_subsidy_table_scale = PolicySubsidyTableScale.Field()
    policy_subsidy_table_copy_from_previous_year = PolicySubsidyTableCopyFromPreviousYear.Field()
    policy_publish = PolicyPublish.Field()
    policy_amend = PolicyAmend.Field()
    policy_copy_to_year = PolicyCopyToYear.Field()
    policy_preset_apply = PolicyPresetApply.Field()
