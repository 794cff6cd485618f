"""Payouts: monthly batches, printouts and bank files, the bank's return, the village view, fraud recovery and
bank reconciliation (town schema). Composes the domain's parts only."""

from __future__ import annotations

from mutualaid.graphql.payouts.mutations import PayoutMutations
from mutualaid.graphql.payouts.queries import PayoutQueries

__all__ = ["PayoutMutations", "PayoutQueries"]
