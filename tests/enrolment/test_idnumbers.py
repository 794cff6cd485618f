"""GB 11643 resident ID numbers: check digit, birth date, province prefix, length, X."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from mutualaid.platform import idnumbers

VALID = idnumbers.make("320685", date(1980, 1, 1), 123)  # 32068519800101123?


def _code(value):
    with pytest.raises(ValidationError) as exc:
        idnumbers.parse(value)
    return exc.value.error_dict["idNumber"][0].code


def test_a_known_valid_number_parses_with_birth_date_and_sex():
    parsed = idnumbers.parse("11010519491231002X")  # the standard's own example
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"
    assert parsed.value == "11010519491231002X"


def test_odd_sequence_is_male():
    assert idnumbers.parse(idnumbers.make("500152", date(1990, 5, 6), 11)).sex == "M"


def test_bad_check_digit_is_refused():
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert _code(wrong) == "invalid_id_number_check"


def test_impossible_birth_date_is_refused():
    first17 = "32068519800230123"  # 30 February
    assert _code(first17 + idnumbers.check_character(first17)) == "invalid_id_number_birth_date"


def test_future_birth_date_is_refused():
    future = idnumbers.make("320685", date(2099, 1, 1), 1)
    assert _code(future) == "invalid_id_number_birth_date"


def test_unknown_province_is_refused():
    first17 = "99068519800101123"
    assert _code(first17 + idnumbers.check_character(first17)) == "invalid_id_number_region"


def test_17_characters_are_refused():
    assert _code(VALID[:17]) == "invalid_id_number_length"


def test_letters_inside_are_refused():
    assert _code("3206851980O101123X") == "invalid_id_number_format"


def test_lower_case_x_is_accepted_as_upper_case():
    assert idnumbers.parse("11010519491231002x").value == "11010519491231002X"


def test_mask_shows_first_three_and_last_four():
    assert idnumbers.mask("320685198001011234") == "320***********1234"


_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_the_check_character_is_the_standards_weighted_sum(first17):
    weighted = sum(int(digit) * weight for digit, weight in zip(first17, _GB11643_WEIGHTS, strict=True))
    assert idnumbers.check_character(first17) == "10X98765432"[weighted % 11]


def test_the_problem_finder_answers_as_problem_does_once_a_head_is_known_valid():
    # Given a finder that has seen a valid number, so that its first 14 characters are known good
    finder = idnumbers.ProblemFinder(date(2026, 1, 1))
    assert finder(VALID) is None
    head = VALID[:14]
    wrong_check = head + VALID[14:17] + ("1" if VALID[17] != "1" else "2")
    # Then numbers sharing that head get the answers problem() gives, through the short path
    for text in (
        head + "4561",
        head + "789X",
        wrong_check,
        head + "１２３4",  # full-width digits in the sequence
        head + "12",  # too short
        head + "12345",  # too long
        VALID,
    ):
        assert finder(text) == idnumbers.problem(text, date(2026, 1, 1)), text


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet="0123456789X", min_size=4, max_size=4))
def test_the_problem_finder_agrees_with_problem_on_any_tail(tail):
    finder = idnumbers.ProblemFinder(date(2026, 1, 1))
    finder(VALID)
    assert finder(VALID[:14] + tail) == idnumbers.problem(VALID[:14] + tail, date(2026, 1, 1))
