"""Encrypt the second-factor secrets allauth stored in plaintext (see tokens/mfa.py)."""

from __future__ import annotations

from django.db import migrations


def encrypt_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tokens.mfa import encrypt_plaintext, map_secrets

    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.all().iterator():
        data = map_secrets(row.data or {}, encrypt_plaintext)
        if data != row.data:
            Authenticator.objects.filter(pk=row.pk).update(data=data)


def decrypt_existing(apps, schema_editor):  # type: ignore[no-untyped-def]
    from tokens import vault
    from tokens.mfa import is_encrypted, map_secrets

    Authenticator = apps.get_model("mfa", "Authenticator")
    for row in Authenticator.objects.all().iterator():
        data = map_secrets(row.data or {}, lambda v: vault.decrypt(v) if is_encrypted(v) else v)
        if data != row.data:
            Authenticator.objects.filter(pk=row.pk).update(data=data)


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0006_credential_grant_lost_at"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_existing, decrypt_existing)]
