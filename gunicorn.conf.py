"""gunicorn's configuration for Mio Auto Heal (read by ``gunicorn -c gunicorn.conf.py``).

Every value can be overridden by the environment gunicorn itself reads (``GUNICORN_CMD_ARGS``)
or the ones below. Threads, not more processes: requests mostly wait on the database, and each
process keeps one bounded database pool (``DB_POOL_MAX_SIZE``, sized to ``threads``); see
docs/operations.md, "Connection budget".
"""

from __future__ import annotations

import os

wsgi_app = "mio_heal.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# A request that takes longer is killed and logged (Verify now of a large incident is handed
# to the workers, so no page legitimately needs this long).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (with jitter, so they do not restart together).
max_requests = 2000
max_requests_jitter = 200
# The app is imported in each worker, after the fork: no database connection, pool or thread
# is ever shared between processes.
preload_app = False
# The reverse proxy sets X-Forwarded-*; Django (BEHIND_TLS_PROXY, TRUSTED_PROXY_COUNT) decides
# what to trust, so gunicorn passes them through from the proxy's address only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "on") != "off" else None
errorlog = "-"
# No query strings in the access log: re-sync and OAuth callback URLs carry codes and states.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%(a)s"'

# LOG_FORMAT=json: gunicorn's own lines (start, worker boots and timeouts) as JSON too, through
# the same redaction filter as the app's (the access log stays off or plain: it has no ids).
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "mio_heal.logging.RedactTokensFilter"}},
        "formatters": {"json": {"()": "operations.logs.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["redact"],
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
