"""The town's fund ledger (town schema): balances, trial balance, entries, account statements, and town
finance's postings. Amounts are yuan decimal strings; dates are ``Date``. Composes the domain's parts only."""

from __future__ import annotations

from mutualaid.graphql.funds.mutations import FundMutations
from mutualaid.graphql.funds.queries import FundQueries

__all__ = ["FundMutations", "FundQueries"]
