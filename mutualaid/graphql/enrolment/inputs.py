"""Input objects of the enrolment mutations."""

from __future__ import annotations

import graphene

from mutualaid.graphql.enrolment.types import SourceEnum


class SourceAmountInput(graphene.InputObjectType):
    source = graphene.InputField(SourceEnum, required=True)
    amount = graphene.String(required=True, description="元")
