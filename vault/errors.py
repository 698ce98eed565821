"""What the vault raises. Callers catch these and show a plain message; none carries keys."""

from __future__ import annotations


class VaultError(Exception):
    """Base class: something about keys stopped the operation."""


class VaultNotInitialised(VaultError):
    """There is no organisation key yet (run `manage.py init_vault`)."""


class VaultAlreadyInitialised(VaultError):
    """`init_vault` refuses to replace an existing organisation key."""


class VaultLocked(VaultError):
    """This session holds no usable organisation key: sign in again, or ask for a grant."""


class NoGrant(VaultLocked):
    """The staff member holds no grant for the organisation key the case needs."""


class NoPersonalKey(VaultError):
    """The staff member has no personal key (they must sign in once first)."""


class WrongPassword(VaultError):
    """The password does not unwrap the personal key (raised by staff.personal_key_open)."""


class HardwareBound(VaultError):
    """The personal key is bound to security keys: the password alone does not open it."""


class LastBinding(VaultError):
    """The last bound security key cannot go while this session does not hold the personal key
    (it would be lost), or while the person's role must use a security key."""


class WrongCode(VaultError):
    """The receipt code is wrong, or no such case exists (deliberately indistinguishable)."""


class WrongRecoverySecret(VaultError):
    """The recovery secret does not belong to this vault."""


class NotOpened(VaultError):
    """This person has not opened the case, with a reason, in this signed-in session."""


class CaseKeyMissing(VaultError):
    """The case has no key (it was shredded, or never created)."""


class DecryptionFailed(VaultError):
    """A ciphertext did not authenticate: wrong case, wrong purpose, or tampered."""
