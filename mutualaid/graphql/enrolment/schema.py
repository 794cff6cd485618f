"""Villages, households, members, enrolment, contributions, roster imports and participation (town schema).
Composes the domain's parts only: types.py, inputs.py, queries.py, mutations/."""

from __future__ import annotations

from mutualaid.graphql.enrolment.mutations import EnrolmentMutations
from mutualaid.graphql.enrolment.queries import EnrolmentQueries

__all__ = ["EnrolmentMutations", "EnrolmentQueries"]
