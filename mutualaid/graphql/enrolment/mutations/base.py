"""What the enrolment mutations share."""

from __future__ import annotations

from mutualaid.enrolment.error_codes import EnrolmentErrorCode
from mutualaid.graphql.core.errors import error_type

EnrolmentError = error_type("EnrolmentError", EnrolmentErrorCode)
