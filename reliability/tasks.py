"""The tasks a rig gives its clusters: the project's own, labelled with who ran them.

``sweep`` is ``tokens.tasks.sweep_due`` (what the ``mio-health-sweep`` schedule runs), with
the name of the cluster process that ran it added to its result, so the scale-out rig can say
how the work was shared.
"""

from __future__ import annotations

import os
import socket

from tokens.tasks import sweep_due


def sweep() -> dict:
    return {
        **sweep_due(),
        "cluster": os.environ.get("RELIABILITY_WORKER", ""),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
