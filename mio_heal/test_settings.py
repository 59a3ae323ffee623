"""Settings for the test suite: the real settings, with queue tasks run inline.

django-q2 reads ``Q_CLUSTER`` once at import, so inline mode is decided here, before Django
starts. Tests of the real cluster (crash recovery, scale-out) start ``qcluster`` processes with
the ordinary settings.
"""

from __future__ import annotations

from mio_heal.settings import *  # noqa: F403
from mio_heal.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Hashing passwords slowly protects nothing in tests and costs seconds.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Live-server threads must not keep connections open past a test, or PostgreSQL cannot drop the
# test database at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
