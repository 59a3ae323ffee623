"""The security tests share the reliability tests' worker environment."""

from __future__ import annotations

from tests.reliability.conftest import worker_base_env

__all__ = ["worker_base_env"]
