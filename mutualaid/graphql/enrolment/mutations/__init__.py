"""The enrolment mutations, one module per small family."""

from __future__ import annotations

import graphene

from mutualaid.graphql.enrolment.mutations.contributions import RecordContribution, ReverseContribution
from mutualaid.graphql.enrolment.mutations.enrol import EnrolHouseholds
from mutualaid.graphql.enrolment.mutations.imports import ImportRoster
from mutualaid.graphql.enrolment.mutations.members import AddMember, CreateHousehold, UpdateMember
from mutualaid.graphql.enrolment.mutations.villages import CreateVillage, RecordVillageDecision


class EnrolmentMutations(graphene.ObjectType):
    create_village = CreateVillage.Field()
    record_village_decision = RecordVillageDecision.Field()
    create_household = CreateHousehold.Field()
    add_member = AddMember.Field()
    update_member = UpdateMember.Field()
    enrol_households = EnrolHouseholds.Field()
    record_contribution = RecordContribution.Field()
    reverse_contribution = ReverseContribution.Field()
    import_roster = ImportRoster.Field()
