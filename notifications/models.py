"""Incidents, the prompt outbox and reminders (built by the Prompts issue)."""

from __future__ import annotations
