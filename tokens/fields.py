"""``EncryptedTextField``: encrypts on write, decrypts on read, hands out ``Secret``s."""

from __future__ import annotations

from typing import Any

from django.db import models

from tokens import vault
from tokens.secret import Secret


class EncryptedTextField(models.TextField):
    """A token column. The database only ever sees Fernet ciphertext.

    Values read back are ``Secret`` objects; assign a ``str`` or a ``Secret``. Lookups by value
    are meaningless (Fernet is randomised) and so are not supported.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None or value == "":
            return None
        return Secret(vault.decrypt(value))

    def to_python(self, value: Any) -> Secret | None:
        if value is None or value == "" or isinstance(value, Secret):
            return value or None
        return Secret(str(value))

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        plaintext = value.reveal() if isinstance(value, Secret) else str(value)
        return vault.encrypt(plaintext) if plaintext else None

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata) get a mask, never plaintext.
        return "********" if self.value_from_object(obj) else ""

    def formfield(self, **kwargs: Any) -> None:  # type: ignore[override]
        # Tokens are never edited through a form; only the platforms issue them.
        return None
