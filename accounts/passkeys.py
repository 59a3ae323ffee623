"""Adding a passkey: allauth's form (mfa.webauthn.forms), worded for the dashboard.

A passkey added here is, by default, one that also signs in alone (a discoverable credential
with user verification, MFA_PASSKEY_LOGIN_ENABLED); unticking it makes a plain second factor,
asked for after the password, as a security key without a PIN would be.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.webauthn.forms import AddWebAuthnForm


class AddPasskeyForm(AddWebAuthnForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = "Passkey name"
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        passwordless = self.fields.get("passwordless")
        if passwordless is not None:
            passwordless.label = "Also sign in with this passkey alone, without a password"
            passwordless.help_text = (
                "Your device checks it is you (fingerprint, face or PIN) each time it is used."
            )
            passwordless.initial = True
