"""The receipt code's shape: 24 digits in six groups of four, a check digit that tells a typo from
a wrong code, and nothing about a case decided by SECRET_KEY."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vault.receipts import (
    ReceiptMalformed,
    ReceiptTypo,
    check_digit,
    receipt_new,
    receipt_parse,
)


def test_a_code_is_24_digits_shown_in_six_groups_of_four():
    code = receipt_new()
    assert re.fullmatch(r"\d{4}(-\d{4}){5}", str(code))
    assert len(code.locator) == 7 and len(code.secret) == 16
    assert receipt_parse(str(code)) == code
    assert "secret" not in repr(code) and code.secret not in repr(code)


@settings(database=None)
@given(
    separators=st.lists(st.sampled_from([" ", "-", "  ", "\t", ".", ""]), min_size=5, max_size=5)
)
def test_how_the_groups_are_separated_does_not_matter(separators):
    code = receipt_new()
    groups = str(code).split("-")
    typed = groups[0] + "".join(
        sep + group for sep, group in zip(separators, groups[1:], strict=True)
    )
    assert receipt_parse(typed) == code


def test_digits_of_other_scripts_are_read():
    code = receipt_new()
    full_width = "".join(chr(0xFF10 + int(d)) if d.isdigit() else d for d in str(code))
    assert receipt_parse(full_width) == code


def test_every_single_mistyped_digit_and_every_swap_of_neighbours_is_caught():
    for _ in range(20):
        digits = receipt_new().digits()
        for at in range(24):
            for other in "0123456789":
                if other != digits[at]:
                    typo = digits[:at] + other + digits[at + 1 :]
                    with pytest.raises(ReceiptTypo):
                        receipt_parse(typo)
        for at in range(23):
            if digits[at] != digits[at + 1]:
                swapped = digits[:at] + digits[at + 1] + digits[at] + digits[at + 2 :]
                with pytest.raises(ReceiptTypo):
                    receipt_parse(swapped)


@pytest.mark.parametrize(
    "typed", ["", "1234", "1" * 23, "1" * 25, "1234-5678-9012-3456-7890", "abcd" * 6]
)
def test_anything_but_24_digits_is_not_a_code(typed):
    with pytest.raises(ReceiptMalformed):
        receipt_parse(typed)


def test_the_check_digit_is_the_damm_digit_of_the_other_23():
    # Damm's own worked example: 572 -> 4.
    assert check_digit("572") == "4"
    code = receipt_new()
    assert code.digits()[-1] == check_digit(code.locator + code.secret)


def test_locators_and_secrets_are_random():
    codes = [receipt_new() for _ in range(500)]
    assert len({c.locator for c in codes}) > 490
    assert len({c.secret for c in codes}) == 500
    assert sorted(c.locator for c in codes) != [c.locator for c in codes]


def test_the_applicant_forms_words_say_the_layout_receipts_decides():
    """The code's layout is decided in vault/receipts.py alone; the applicant form's help and
    error texts spell it out in words for translators, so a new layout must fail here until
    they are rewritten (in every catalogue)."""
    from django.utils import translation

    from evacuation.applicant.forms import ReceiptCodeForm
    from vault.receipts import CODE_DIGITS, GROUP

    words = {4: "four", 6: "six"}
    layout = f"{CODE_DIGITS} digits, in {words[CODE_DIGITS // GROUP]} groups of {words[GROUP]}"
    with translation.override("en"):
        help_text = str(ReceiptCodeForm().fields["code"].help_text)
        malformed = ReceiptCodeForm({"code": "12"})
        assert not malformed.is_valid()
        error = " ".join(malformed.errors["code"])
    assert layout in help_text and layout in error
    example = help_text.rsplit("for example ", 1)[1].rstrip(".")
    digits = example.replace("-", "")
    assert len(digits) == CODE_DIGITS
    assert example == "-".join(digits[i : i + GROUP] for i in range(0, CODE_DIGITS, GROUP))
