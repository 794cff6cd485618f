"""What other apps call: enrolment_terms(scheme_year) and policy_for_admission(date)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.policies import actions
from mutualaid.policies.selectors import enrolment_terms, policy_for_admission
from mutualaid.policies.terms import EnrolmentTerms, FundingSource


def test_enrolment_terms_of_published_xinsheng_2022(xinsheng_policy):
    terms = enrolment_terms(2022)

    assert isinstance(terms, EnrolmentTerms)
    assert terms.policy_id == xinsheng_policy.pk
    assert terms.version == 1
    assert terms.fee_per_person_fen == 4500
    assert sum(share.amount_fen for share in terms.funding_shares) == 4500
    assert terms.funding_shares[0].source == FundingSource.PERSON
    assert terms.enrolment_closes == date(2022, 10, 31)
    assert terms.target_person_share_bp == 5000


def test_enrolment_terms_without_published_policy_is_no_published_policy(in_dagong):
    actions.create_draft(2030, None)

    with pytest.raises(ValidationError) as raised:
        enrolment_terms(2030)

    assert raised.value.error_dict["scheme_year"][0].code == "no_published_policy"


def test_enrolment_terms_ignore_drafts(xinsheng_policy):
    actions.amend(xinsheng_policy, date(2023, 3, 1), "调整补助", None)

    assert enrolment_terms(2022).version == 1


def test_policy_for_admission_picks_the_version_in_force_on_the_admission_date(xinsheng_policy):
    draft = actions.amend(xinsheng_policy, date(2023, 3, 1), "年中测算后提高单次最高补助", None)
    actions.update_draft(draft, None, per_stay_max_fen=60000_00, yearly_cap_fen=120000_00)
    actions.publish(draft, None)

    assert policy_for_admission(date(2022, 11, 1)).version == 1
    assert policy_for_admission(date(2023, 2, 28)).version == 1
    assert policy_for_admission(date(2023, 3, 1)).version == 2
    assert policy_for_admission(date(2023, 10, 31)).version == 2


def test_policy_for_admission_outside_any_coverage_period_is_none(xinsheng_policy):
    assert policy_for_admission(date(2022, 10, 31)) is None
    assert policy_for_admission(date(2023, 11, 1)) is None


def test_enrolment_terms_follow_a_published_amendment_once_effective(xinsheng_policy):
    draft = actions.amend(xinsheng_policy, date(2022, 10, 1), "延长交费期", None)
    actions.update_draft(draft, None, enrolment_closes=date(2022, 10, 31))
    actions.publish(draft, None)

    assert enrolment_terms(2022, on=date(2022, 9, 30)).version == 1
    assert enrolment_terms(2022, on=date(2022, 10, 1)).version == 2
