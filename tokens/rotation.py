"""Re-encrypt every stored token under the newest key.

Works on the raw ciphertext (read through a ``Cast`` so the field does not decrypt it), in
primary-key batches, and writes each value back with a conditional UPDATE (``WHERE column = old
ciphertext``): a worker that refreshed the token meanwhile wins, and the next run picks up
anything left. Interrupting it loses nothing; running it again touches only what is not yet under
the newest key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from tokens import vault
from tokens.fields import EncryptedTextField


@dataclass
class RotationStats:
    rows: int = 0
    rewritten: int = 0
    skipped_current: int = 0
    raced: int = 0


def encrypted_fields() -> Iterator[tuple[type[models.Model], list[str]]]:
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


def _raw(name: str) -> Cast:
    return Cast(name, output_field=models.TextField())


def rotate_model(
    model: type[models.Model],
    names: list[str],
    *,
    batch_size: int = 500,
    progress: Callable[[int], None] = lambda n: None,
) -> RotationStats:
    stats = RotationStats()
    manager = model._default_manager
    raw_names = {f"_raw_{n}": _raw(n) for n in names}
    last = 0
    while True:
        rows = list(
            manager.filter(pk__gt=last)
            .annotate(**raw_names)
            .order_by("pk")
            .values_list("pk", *raw_names)[:batch_size]
        )
        if not rows:
            return stats
        with transaction.atomic():
            for row_pk, *ciphers in rows:
                for name, cipher in zip(names, ciphers, strict=True):
                    if not cipher:
                        continue
                    if vault.is_current(cipher):
                        stats.skipped_current += 1
                        continue
                    updated = (
                        manager.annotate(_old=_raw(name))
                        .filter(pk=row_pk, _old=cipher)
                        .update(**{name: models.Value(vault.rotate(cipher), models.TextField())})
                    )
                    if updated == 1:
                        stats.rewritten += 1
                    else:
                        stats.raced += 1
        stats.rows += len(rows)
        last = rows[-1][0]
        progress(len(rows))
