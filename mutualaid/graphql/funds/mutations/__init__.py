"""The fund ledger's mutations: the postings (one table, ``postings.POSTINGS``) and the year-end close."""

from __future__ import annotations

import graphene

from mutualaid.graphql.funds.mutations.close_year import FundCloseYear
from mutualaid.graphql.funds.mutations.postings import POSTING_MUTATIONS

FundMutations = type(
    "FundMutations",
    (graphene.ObjectType,),
    {
        **{name: mutation.Field() for name, mutation in POSTING_MUTATIONS.items()},
        "fund_close_year": FundCloseYear.Field(),
    },
)

__all__ = ["POSTING_MUTATIONS", "FundCloseYear", "FundMutations"]
