from django.urls import path

from stats import apis, host_apis, host_stats_apis, views

api_patterns = [
    path("hosts/<slug:host>/events/", host_apis.EventsIngestApi.as_view(), name="api_host_events"),
    path("distribution/hosts/<slug:host>/stats/", host_stats_apis.HostStatsApi.as_view(), name="api_host_stats"),
    path("programs/<str:appid>/stats/", apis.ProgramStatsApi.as_view(), name="api_program_stats"),
    path("programs/<str:appid>/stats/export/", apis.ProgramStatsExportApi.as_view(), name="api_program_stats_export"),
]

# Inside an organisation: /orgs/<org_slug>/programs/<appid>/stats/…
org_portal_patterns = [
    path("", views.program_dashboard, name="program_stats"),
    path("<str:table>.csv", views.program_export, name="program_stats_export"),
]

portal_patterns = [
    path("hosts/<slug:host_code>/", views.host_dashboard, name="host_stats"),
    path("hosts/<slug:host_code>/<str:table>.csv", views.host_export, name="host_stats_export"),
]
