"""What a full-size rig prints and keeps: the format docs/reliability.md quotes."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from reliability import figures, rig
from reliability.figures import Outcome
from reliability.scaleout import Round, ScaleResult
from reliability.soak import SoakConfig, SoakResult
from reliability.soak import table as soak_table


@pytest.fixture
def rig_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(rig, "RIG_DIR", tmp_path)
    return tmp_path


def scale_result() -> ScaleResult:
    return ScaleResult(
        accounts=40,
        clusters=2,
        rounds=[
            Round(
                seconds=2.0,
                due=44,
                checks_per_account={1: 44},
                outcomes={"ok": 44},
                by_cluster={"A": 30, "B": 14},
            ),
            Round(
                seconds=0,
                due=44,
                checks_per_account={1: 43, 2: 1},
                outcomes={"ok": 43, "problem": 1},
                by_cluster={"A": 44, "B": 0},
                failed_tasks=1,
            ),
        ],
        errors=[f"error {n}" for n in range(25)],
    )


def test_it_prints_the_table_the_verdicts_and_the_first_errors(rig_dir, capsys) -> None:
    result = scale_result()

    figures.report("scaleout", result, "| the | table |", result.errors)

    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "| the | table |",
        "- every due account checked exactly once per sweep: DOES NOT HOLD",
        "- every cluster did part of the work: DOES NOT HOLD",
        "- no refused refresh (problem outcome) = 0: DOES NOT HOLD",
        "- failed tasks = 0: DOES NOT HOLD",
        *[f"    error {n}" for n in range(20)],
    ]


def test_it_keeps_the_raw_figures_under_the_script_s_name(rig_dir, capsys) -> None:
    result = scale_result()

    figures.report("scaleout", result, "table")

    kept = json.loads((rig_dir / "scaleout.json").read_text())
    assert kept["accounts"] == 40
    assert kept["rounds"][1]["checks_per_account"] == {"1": 43, "2": 1}
    assert kept["errors"][-1] == "error 24"


def test_it_prints_the_soak_s_table_and_heads_its_errors(rig_dir, capsys) -> None:
    verdict = asdict(Outcome(broken=12, detected=12, incidents=11, delivered=11, by_email=1))
    figures_of_the_run = {
        "baseline_seconds": 10.0,
        "first_sweep_seconds": 18.0,
        "settle_seconds": 30.25,
        "rounds": 4,
        "checks": 1500,
        "faults_met": {"timeout": 3, "5xx": 1200},
        "requests": 4321,
        "errors": ["server: Traceback"],
    }
    result = SoakResult(accounts=1200, broken=12, verdict=verdict, **figures_of_the_run)

    figures.report(
        "soak", result, soak_table(result, SoakConfig()), result.errors, errors_heading="Errors:"
    )

    out = capsys.readouterr().out
    assert out.startswith("| figure | value |\n|---|---|\n")
    for line in [
        "| accounts (users; + one admin per tenant) | 1,200 |",
        "| transient fault rate per platform call | 20% |",
        "| faults met by checks | 5xx 1,200, timeout 3 |",
        "| **prompts for transient faults** (must be 0) | 0 |",
        "| **real situations detected** (must be all) | 12 / 12 |",
        "| **unhandled exceptions** (must be 0) | 1 |",
        "| first sweep under faults | 18.0 s (1.80x) |",
        "| until everything settled | 30.2 s, 4 sweeps |",
        "| HTTP requests served by the sandbox (whole run) | 4,321 |",
        "- prompts for transient faults = 0: holds",
        "- unhandled exceptions = 0: DOES NOT HOLD",
    ]:
        assert line in out.splitlines(), line
    assert out.endswith("DOES NOT HOLD\n\nErrors:\n    server: Traceback\n")


def test_it_prints_no_errors_heading_when_there_are_none(rig_dir, capsys) -> None:
    result = ScaleResult(accounts=1, clusters=2)

    figures.report("scaleout", result, "table", [], errors_heading="Errors:")

    assert "Errors" not in capsys.readouterr().out
