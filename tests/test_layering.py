"""Lower layers never import the dashboard: platforms/ at all, and the Django admins of
accounts, tokens and notifications record through the audit app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dashboard_imports(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            found += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "dashboard"
            ]
    return found


def test_it_keeps_platforms_free_of_dashboard_imports():
    assert dashboard_imports(list((ROOT / "platforms").rglob("*.py"))) == []


def test_it_keeps_the_other_apps_admins_free_of_dashboard_imports():
    admins = [ROOT / app / "admin.py" for app in ("accounts", "tokens", "notifications", "audit")]
    assert dashboard_imports([p for p in admins if p.exists()]) == []
