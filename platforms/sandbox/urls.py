from __future__ import annotations

from django.urls import include, path

from platforms.sandbox import control, pages
from platforms.sandbox.registry import available

urlpatterns = [
    path("", pages.home, name="sandbox-home"),
    path("inbox/<str:platform>/<str:email>/", pages.inbox, name="sandbox-inbox"),
    path("api/", control.index, name="sandbox-api"),
    path("api/reset", control.reset),
    path("api/situation", control.situation),
    path("api/script", control.script),
    path("api/faults", control.faults),
    path("api/inbox", control.inbox),
    path("api/users", control.users),
    path("api/event", control.event),
]
for key, fake in available().items():
    urlpatterns.append(path(f"{key}/", include((fake.urlpatterns(), f"sandbox-{key}"))))
