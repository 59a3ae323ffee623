from __future__ import annotations

from django.urls import path

from dashboard.views import (
    audit,
    conditional_access,
    incidents,
    integrations,
    overview,
    people,
    policies,
    team,
)

app_name = "dashboard"

urlpatterns = [
    path("", overview.overview, name="overview"),
    path("tenants/<slug:slug>/", overview.tenant_overview, name="tenant"),
    path(
        "tenants/<slug:slug>/integrations/",
        integrations.integrations_page,
        name="integrations",
    ),
    path("integrations/<int:pk>/check/", integrations.check_integration, name="integration-check"),
    path("tenants/<slug:slug>/policies/", policies.policies_page, name="policies"),
    path("tenants/<slug:slug>/team/", team.team_page, name="team"),
    path("team/<int:pk>/role/", team.change_role, name="team-role"),
    path("team/<int:pk>/remove/", team.remove_member, name="team-remove"),
    path("invitations/<int:pk>/revoke/", team.revoke_invitation, name="invitation-revoke"),
    path("invitations/<str:token>/", team.invitation, name="invitation"),
    path("snapshots/take/", overview.take_snapshot, name="take-snapshot"),
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
    path("incidents/<int:pk>/verify/", incidents.verify, name="incident-verify"),
    path("incidents/<int:pk>/resend/", incidents.resend, name="incident-resend"),
    path("incidents/<int:pk>/snooze/", incidents.snooze, name="incident-snooze"),
    path("incidents/<int:pk>/resolve/", incidents.resolve, name="incident-resolve"),
    path("conditional-access/", conditional_access.ca_page, name="conditional-access"),
    path("people/", people.people_list, name="people"),
    path("people/<int:pk>/", people.person_detail, name="person"),
    path("accounts/<int:pk>/check/", people.check_account, name="account-check"),
    path("audit/", audit.audit_log, name="audit"),
    path("audit/export.csv", audit.audit_export, name="audit-export"),
    path("people/export.csv", people.people_export, name="people-export"),
    path("incidents/export.csv", incidents.incident_export, name="incidents-export"),
]
