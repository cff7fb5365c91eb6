from django.urls import path

from distribution import host_apis

# Host platforms' signed calls, under /api/v1/.
api_patterns = [
    path("hosts/<slug:host>/share-checks/", host_apis.share_check_endpoint, name="api_host_share_check"),
    path("hosts/<slug:host>/placements/", host_apis.PlacementsApi.as_view(), name="api_host_placements"),
]
