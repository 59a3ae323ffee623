"""What the notifications layer announces to the rest of the project.

``incident_resolved``: sent once per incident, by the caller that closed it
(``notifications.incidents.resolve``), in its transaction when it has one; keyword argument
``incident`` (already reloaded: ``status``, ``resolution``, ``resolved_at`` are the new values).
"""

from __future__ import annotations

from django.dispatch import Signal

incident_resolved = Signal()
