"""``Secret``: a token in memory that will not print itself.

Every token the vault hands out is wrapped, so ``repr()``, ``str()``, f-strings, log lines,
exception messages and the Django admin show a mask. Code that really needs the value (the HTTP
call to the platform) says so with ``.reveal()``.
"""

from __future__ import annotations

from typing import Any


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __format__(self, spec: str) -> str:
        return "********"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        # Tokens never travel through pickles (queue payloads, caches): pass ids instead.
        raise TypeError("a Secret cannot be pickled; pass the credential id instead")


def reveal(value: Secret | str | None) -> str | None:
    """The plaintext of a Secret (or a plain str), or None."""
    if value is None:
        return None
    return value.reveal() if isinstance(value, Secret) else value
