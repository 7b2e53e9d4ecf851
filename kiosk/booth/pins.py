"""Staff PINs and passphrases: the rule, and their Argon2id hashes (argon2-cffi).

Only the encoded hash is stored. A PIN is never written to the database, a log, an audit row
or an error message: every message here says what is allowed, never what was typed. A PIN
handed to the booth is wrapped in `Secret` at once, whose repr and str are `***`, so it does
not show in a traceback's locals either.

The rule: a PIN is 4 to 8 digits; a passphrase is 8 to 128 characters with at least one that
is not a digit (a 9-digit "PIN" is neither: refused). Both are compared as typed after Unicode
normalisation (NFC), so the same keys give the same text.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from .errors import BoothError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

PIN_RULE = "a PIN is 4 to 8 digits; a passphrase is 8 to 128 characters, not all digits"
PIN_MAX_TYPED = 512  # longer input is not even hashed


class Secret:
    """A PIN or passphrase in memory: shown as *** everywhere (repr, str, format)."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self):  # never pickled into a worker's result or a crash dump
        raise TypeError("a Secret is not pickled")


def as_secret(raw: object, field: str = "pin") -> Secret:
    """Any PIN argument (str or Secret) as a Secret; a non-text one is refused (the message never
    repeats the value)."""
    if isinstance(raw, Secret):
        return raw
    if not isinstance(raw, str):
        raise BoothError(f"the PIN must be text: {PIN_RULE}", field=field)
    return Secret(raw)


def check_new_pin(raw: object, field: str = "pin") -> Secret:
    """A new PIN or passphrase as the rule allows it, normalised; BoothError saying the rule otherwise."""
    secret = as_secret(raw, field)
    if len(secret.reveal()) > PIN_MAX_TYPED:
        raise BoothError(f"the PIN is too long: {PIN_RULE}", field=field)
    text = unicodedata.normalize("NFC", secret.reveal())
    if not text:
        raise BoothError(f"enter a PIN: {PIN_RULE}", field=field)
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise BoothError(f"the PIN contains control characters: {PIN_RULE}", field=field)
    if text.isascii() and text.isdigit():
        if not 4 <= len(text) <= 8:
            raise BoothError(f"the PIN has {len(text)} digits: {PIN_RULE}", field=field)
        return Secret(text)
    if text.isdigit():  # digits of another script (e.g. Arabic-Indic): not what a keypad types
        raise BoothError(f"the PIN has digits other than 0-9: {PIN_RULE}", field=field)
    if not 8 <= len(text) <= 128:
        raise BoothError(f"the passphrase has {len(text)} characters: {PIN_RULE}", field=field)
    return Secret(text)


def typed(raw: object) -> Secret:
    """A PIN typed to sign in: normalised as a new one is, but never refused for its form (a wrong one
    is simply wrong); empty is refused."""
    secret = as_secret(raw)
    if not secret.reveal():
        raise BoothError("enter your PIN", field="pin")
    text = secret.reveal()
    return Secret(unicodedata.normalize("NFC", text) if len(text) <= PIN_MAX_TYPED else "")


class PinHasher:
    """Hashes and verifies PINs with argon2-cffi's PasswordHasher (constant-time verification).

    The default parameters are argon2-cffi's (RFC 9106's low-memory profile: 64 MiB, 3 passes,
    about 0.2 s per hash on a small machine: one wait per sign-in). The tests pass a cheap
    PasswordHasher; a hash made with other parameters is re-made at the next sign-in
    (`needs_rehash`)."""

    def __init__(self, hasher: "PasswordHasher | None" = None):
        self._hasher = hasher
        self._decoy: str | None = None

    @property
    def hasher(self) -> "PasswordHasher":
        if self._hasher is None:  # argon2 is imported when a PIN is first needed, not at start-up
            from argon2 import PasswordHasher

            self._hasher = PasswordHasher()
        return self._hasher

    def hash(self, secret: Secret) -> str:
        return self.hasher.hash(secret.reveal())

    def verify(self, encoded: str | None, secret: Secret) -> bool:
        """True when `secret` matches `encoded`. With no hash (an unknown name, a purged account) a
        decoy hash is checked instead, so the answer takes as long either way."""
        from argon2.exceptions import InvalidHashError, VerificationError

        if encoded is None:
            if self._decoy is None:
                self._decoy = self.hasher.hash("decoy, never matched")
            encoded, secret = self._decoy, Secret("")
        try:
            return bool(self.hasher.verify(encoded, secret.reveal())) and bool(secret.reveal())
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, encoded: str) -> bool:
        from argon2.exceptions import InvalidHashError

        try:
            return self.hasher.check_needs_rehash(encoded)
        except InvalidHashError:
            return True
