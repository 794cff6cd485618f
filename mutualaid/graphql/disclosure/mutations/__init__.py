"""The disclosure mutations, one module per family: drafts and publishing, objections."""

from __future__ import annotations

import graphene

from mutualaid.graphql.disclosure.mutations.drafts import (
    GenerateDisclosureDraft,
    PublishDisclosure,
    RefreshDisclosureDraft,
    ReviseDisclosure,
    SetDonorDisplay,
)
from mutualaid.graphql.disclosure.mutations.objections import (
    AnswerDisclosureObjection,
    HoldObjectedSubsidy,
    RequestObjectionCode,
    ResolveDisclosureObjection,
    SubmitDisclosureObjection,
)


class DisclosureMutations(graphene.ObjectType):
    generate_disclosure_draft = GenerateDisclosureDraft.Field()
    refresh_disclosure_draft = RefreshDisclosureDraft.Field()
    publish_disclosure = PublishDisclosure.Field()
    revise_disclosure = ReviseDisclosure.Field()
    set_donor_display = SetDonorDisplay.Field()
    request_objection_code = RequestObjectionCode.Field()
    submit_disclosure_objection = SubmitDisclosureObjection.Field()
    answer_disclosure_objection = AnswerDisclosureObjection.Field()
    resolve_disclosure_objection = ResolveDisclosureObjection.Field()
    hold_objected_subsidy = HoldObjectedSubsidy.Field()
