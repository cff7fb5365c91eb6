from django.urls import path

from distribution import apis, host_apis, operator_views, views

# Inside an organisation: /orgs/<org_slug>/programs/<appid>/distribution/…
program_patterns = [
    path("", views.program_distribution, name="program_distribution"),
    path("request/<str:scene_code>/", views.request_new, name="distribution_request_new"),
    path("requests/<int:request_id>/", views.request_detail, name="distribution_request"),
    path("requests/<int:request_id>/withdraw/", views.request_withdraw, name="distribution_request_withdraw"),
    path("requests/<int:request_id>/evidence/<int:evidence_id>/", views.request_evidence,
         name="distribution_request_evidence"),
    path("grants/<int:grant_id>/", views.grant_detail, name="distribution_grant"),
]

# Outside any organisation.
portal_patterns = [
    path("scenes/", views.scene_catalog, name="scene_catalog"),
]

# Platform operators: /distribution/…
operator_patterns = [
    path("queue/", operator_views.queue, name="distribution_queue"),
    path("requests/<int:request_id>/", operator_views.request_page, name="distribution_operator_request"),
    path("requests/<int:request_id>/decide/", operator_views.request_decide, name="distribution_decide"),
    path("requests/<int:request_id>/evidence/<int:evidence_id>/", operator_views.request_evidence,
         name="distribution_operator_evidence"),
    path("grants/", operator_views.grants, name="distribution_operator_grants"),
    path("grants/<int:grant_id>/", operator_views.grant_page, name="distribution_operator_grant"),
    path("grants/<int:grant_id>/placements/", operator_views.grant_placements, name="distribution_operator_placements"),
    path("grants/<int:grant_id>/terms/", operator_views.grant_terms, name="distribution_operator_terms"),
]

# Under /api/v1/
api_patterns = [
    path("scenes/", apis.SceneListApi.as_view(), name="api_scenes"),
    path("programs/<str:appid>/distribution/", apis.DistributionApi.as_view(), name="api_program_distribution"),
    path("programs/<str:appid>/whitelist-requests/", apis.WhitelistRequestListApi.as_view(),
         name="api_whitelist_requests"),
    path("programs/<str:appid>/whitelist-requests/<int:request_id>/", apis.WhitelistRequestDetailApi.as_view(),
         name="api_whitelist_request"),
    path("programs/<str:appid>/whitelist-requests/<int:request_id>/withdraw/",
         apis.WhitelistRequestWithdrawApi.as_view(), name="api_whitelist_request_withdraw"),
    path("distribution/queue/", apis.OperatorQueueApi.as_view(), name="api_distribution_queue"),
    path("distribution/requests/<int:request_id>/decision/", apis.OperatorDecisionApi.as_view(),
         name="api_distribution_decision"),
    path("distribution/grants/<int:grant_id>/revoke/", apis.OperatorRevokeApi.as_view(),
         name="api_distribution_revoke"),
    path("distribution/grants/<int:grant_id>/placements/", apis.OperatorPlacementsApi.as_view(),
         name="api_distribution_placements"),
    path("distribution/grants/<int:grant_id>/terms/", apis.OperatorTermsApi.as_view(), name="api_distribution_terms"),
    # Host platforms' signed calls.
    path("hosts/<slug:host>/share-checks/", host_apis.share_check_endpoint, name="api_host_share_check"),
    path("hosts/<slug:host>/placements/", host_apis.PlacementsApi.as_view(), name="api_host_placements"),
]
