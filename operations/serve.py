"""``python -m operations.serve ENV_FILE``: the production processes, from one env file.

Refuses to start (exit 2, naming every gap) when the env file lacks anything required; then
runs ``migrate``, ``collectstatic`` and ``check --deploy --database default`` (which also warns
when the connection budget exceeds the server's ``max_connections``), and starts gunicorn (web)
and one ``qcluster`` (workers). SIGTERM/SIGINT stop both; if either dies, the other is stopped
and the exit status says so, so a supervisor (systemd, a container runtime) restarts the pair.
``scripts/serve`` is the shell entry point.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from operations.envfile import gaps, read

ROOT = Path(__file__).resolve().parent.parent


def refuse(path: Path) -> dict[str, str] | None:
    """The env file's values, or None after printing why the processes must not start."""
    if not path.exists():
        print(f"{path}: no such env file. Write one with `manage.py init_deploy`.", file=sys.stderr)
        return None
    values = read(path)
    found = gaps(values)
    if not found.fatal:
        return values
    print(f"{path}: refusing to start; fill in:", file=sys.stderr)
    for key in found.missing:
        print(f"  - {key}", file=sys.stderr)
    for platform, keys in found.platforms_incomplete.items():
        print(f"  - {platform} is half configured: {', '.join(keys)}", file=sys.stderr)
    return None


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else os.environ.get("MIO_ENV_FILE", "mio.env"))
    values = refuse(path)
    if values is None:
        return 2
    env = {**os.environ, **values, "DJANGO_SETTINGS_MODULE": "mio_heal.settings"}
    py = sys.executable
    for step in (
        ["manage.py", "migrate", "--no-input", "-v", "0"],
        ["manage.py", "collectstatic", "--no-input", "-v", "0"],
        ["manage.py", "check", "--deploy", "--database", "default"],
    ):
        if subprocess.run([py, *step], cwd=ROOT, env=env).returncode != 0:  # noqa: S603
            print(f"`{' '.join(step)}` failed; not starting.", file=sys.stderr)
            return 1
    web = subprocess.Popen(  # noqa: S603
        [py, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")], cwd=ROOT, env=env
    )
    workers = subprocess.Popen([py, "manage.py", "qcluster"], cwd=ROOT, env=env)  # noqa: S603
    children = [web, workers]

    asked: list[int] = []

    def stop(signum: int = signal.SIGTERM, _frame: object = None) -> None:
        if _frame is not None:
            asked.append(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()
    for child in children:
        try:
            child.wait(timeout=90)
        except subprocess.TimeoutExpired:
            child.kill()
    if asked:
        return 0  # stopped on purpose
    return max(abs(child.returncode or 0) for child in children) or 1  # one of them died


if __name__ == "__main__":
    sys.exit(main(sys.argv))
