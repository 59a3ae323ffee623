"""What the relay API keeps besides the keys themselves (``tokens.RelayApiKey``)."""

from __future__ import annotations

from django.db import models

from tokens.models import RelayApiKey


class KeyUse(models.Model):
    """How many requests one key made on one (UTC) day: the per-key usage the dashboard shows."""

    key = models.ForeignKey(RelayApiKey, on_delete=models.CASCADE, related_name="uses")
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "day"], name="key_use_once_a_day")]
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.key.prefix}… {self.day}: {self.count}"
