"""State of the fake platforms (built by the Platforms issue)."""

from __future__ import annotations
