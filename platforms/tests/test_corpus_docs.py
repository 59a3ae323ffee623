"""docs/platforms-corpus.md is generated from the fixture corpus and must not drift from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from platforms import corpus_docs
from platforms.tests import corpus


def test_it_keeps_the_generated_corpus_docs_up_to_date() -> None:
    assert corpus_docs.is_current(), (
        f"{corpus_docs.DOC_PATH.name} is out of date with the fixtures: run "
        f"`{corpus_docs.COMMAND}` and commit the result"
    )


def test_it_lists_every_fixture_with_its_source_and_every_served_endpoint() -> None:
    from platforms.sandbox.registry import available

    text = corpus_docs.render()
    for platform, fake in available().items():
        for endpoint in fake.endpoints:
            assert f"### {platform} · `{endpoint}`" in text
        for wire in corpus.load(platform):
            # Names repeat across endpoints (a 429 on each): look in the endpoint's own section.
            section = text.split(f"### {platform} · `{wire.endpoint}`", 1)[1].split("\n### ", 1)[0]
            row = next(
                line for line in section.splitlines() if line.startswith(f"| `{wire.name}` |")
            )
            assert wire.source.split()[0] in row


def test_its_check_fails_on_a_stale_file_and_passes_once_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "platforms-corpus.md"
    monkeypatch.setattr(corpus_docs, "DOC_PATH", path)
    with pytest.raises(CommandError, match="out of date"):
        call_command("platform_docs", "--check")
    call_command("platform_docs")
    call_command("platform_docs", "--check")
    path.write_text(path.read_text().replace("| 200 |", "| 201 |", 1) + "\n")
    with pytest.raises(CommandError, match="out of date"):
        call_command("platform_docs", "--check")


def test_it_says_in_words_how_each_answer_must_be_read() -> None:
    reading = corpus_docs.reading
    assert reading({"situation": "grant_revoked", "audience": "user"}) == (
        "situation grant_revoked → user"
    )
    assert reading({"transient": True}) == "transient (retried)"
    assert reading({"grant": {"refresh_token": True, "expires_in": 43200}}) == (
        "grant: expires_in = 43200, refresh_token"
    )
    assert reading({"sent": True}) == "delivered"
    assert json.loads(json.dumps(reading({"found": False}).split(": ")[1])) == "false"
