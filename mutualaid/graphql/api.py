"""The two schemas: platform (base domain, /graphql/) and town (town host or /t/<code>/graphql/).

Each domain contributes Query/Mutation mixins from its own sub-package; they are composed here.
"""

from __future__ import annotations

import graphene
from graphql import specified_rules

from mutualaid.graphql.account.schema import AccountMutations, AccountQueries
from mutualaid.graphql.claims.schema import ClaimMutations, ClaimQueries, ReviewQueueQueries
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.validation import LIMIT_RULES
from mutualaid.graphql.disclosure.schema import DisclosureMutations, DisclosureQueries
from mutualaid.graphql.drg.schema import DrgQueries
from mutualaid.graphql.enrolment.schema import EnrolmentMutations, EnrolmentQueries
from mutualaid.graphql.funds.schema import FundMutations, FundQueries
from mutualaid.graphql.payouts.schema import PayoutMutations, PayoutQueries
from mutualaid.graphql.policies.schema import PolicyMutations, PolicyQueries
from mutualaid.graphql.regions.schema import RegionQueries
from mutualaid.graphql.reporting.schema import ReportingMutations, ReportingQueries
from mutualaid.graphql.tenants.schema import TownMutations, TownQueries
from mutualaid.graphql.town.schema import TownRootQueries


class PlatformQuery(
    AccountQueries,
    RegionQueries,
    TownQueries,
    DrgQueries,
    ReviewQueueQueries,
    ReportingQueries,
    graphene.ObjectType,
):
    node = Node.Field()


class PlatformMutation(AccountMutations, TownMutations, ReportingMutations, graphene.ObjectType):
    pass


class TownQuery(
    AccountQueries,
    TownRootQueries,
    EnrolmentQueries,
    PolicyQueries,
    FundQueries,
    ClaimQueries,
    PayoutQueries,
    DisclosureQueries,
    graphene.ObjectType,
):
    pass


class TownMutation(
    AccountMutations,
    EnrolmentMutations,
    PolicyMutations,
    FundMutations,
    ClaimMutations,
    PayoutMutations,
    DisclosureMutations,
    graphene.ObjectType,
):
    pass


platform_schema = graphene.Schema(query=PlatformQuery, mutation=PlatformMutation)
town_schema = graphene.Schema(query=TownQuery, mutation=TownMutation)

# The validation rules of both endpoints: graphql-core's own (a list given to the view replaces them, so they are
# named here) and the depth, alias and cost limits (typed errors).
validation_rules = (*specified_rules, *LIMIT_RULES)
