from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from mio_heal import errorpages

admin.site.site_header = "Mio Auto Heal"
admin.site.site_title = "Mio Auto Heal"
admin.site.index_title = "Operations console"
# The staff console signs in through allauth too: one login page, rate-limited, with MFA.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("favicon.ico", errorpages.favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("dashboard/relay/", include("api.dashboard_urls")),
    path("dashboard/relay/webhooks/", include("outbound.dashboard_urls")),
    path("hooks/", include("platforms.hooks_urls")),
    path("api/", include("api.urls")),
    path("resync/", include("accounts.urls")),
    path("install/slack/", include("dashboard.install_urls")),
    # /metrics and the operator's platform-app checks (/healthz, /readyz: operations.probes).
    path("", include("operations.urls")),
]

handler403 = "mio_heal.errorpages.forbidden"
handler404 = "mio_heal.errorpages.not_found"
handler500 = "mio_heal.errorpages.server_error"

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("platforms.sandbox.urls")))
