"""Receipt codes: what an applicant holds instead of an account.

24 digits, shown as six groups of four:
- a 7-digit locator, random and unique among live cases: it finds the row and is not secret;
- a 16-digit secret (10^16, about 2^53.2): it only ever goes through Argon2id with the case's
  own salt (vault.cases), so a seized server tests one guess against one case at the cost of
  one Argon2id at the production floor;
- one Damm check digit over the other 23, so a mistyped digit is told apart from a wrong code
  (Damm catches every single wrong digit and every swap of two neighbours).
Nothing here depends on SECRET_KEY: finding a case survives a new one.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

LOCATOR_DIGITS = 7
SECRET_DIGITS = 16
CODE_DIGITS = LOCATOR_DIGITS + SECRET_DIGITS + 1
GROUP = 4

# The Damm quasigroup of order 10 (H. Michael Damm, 2004), the table everyone uses.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def check_digit(digits: str) -> str:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


class ReceiptMalformed(ValueError):
    """Not 24 digits: not a receipt code at all."""


class ReceiptTypo(ValueError):
    """24 digits whose check digit does not fit: a digit was mistyped (no case was looked at)."""


@dataclass(frozen=True, repr=False)
class ReceiptCode:
    locator: str
    secret: str

    def __repr__(self) -> str:  # never print the secret, even in a traceback
        return "<ReceiptCode>"

    def digits(self) -> str:
        body = self.locator + self.secret
        return body + check_digit(body)

    def __str__(self) -> str:
        digits = self.digits()
        return "-".join(digits[i : i + GROUP] for i in range(0, CODE_DIGITS, GROUP))


def _random_digits(count: int) -> str:
    return f"{secrets.randbelow(10**count):0{count}d}"


def receipt_new() -> ReceiptCode:
    return ReceiptCode(locator=_random_digits(LOCATOR_DIGITS), secret=_random_digits(SECRET_DIGITS))


def locator_new() -> str:
    """Another locator for a code whose locator a live case already has."""
    return _random_digits(LOCATOR_DIGITS)


def receipt_parse(text: str) -> ReceiptCode:
    """The code in what a person typed: spaces, dashes and dots are ignored, and digits of other
    scripts (full-width, Arabic-Indic) are read. Raises ReceiptMalformed or ReceiptTypo."""
    digits = "".join(str(unicodedata.digit(ch)) for ch in text if ch.isdigit())
    if len(digits) != CODE_DIGITS or any(ch.isalpha() for ch in text):
        raise ReceiptMalformed("A receipt code is 24 digits.")
    if check_digit(digits[:-1]) != digits[-1]:
        raise ReceiptTypo("The check digit does not fit.")
    return ReceiptCode(locator=digits[:LOCATOR_DIGITS], secret=digits[LOCATOR_DIGITS:-1])
