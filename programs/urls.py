from django.urls import path

from programs import apis

api_patterns = [
    path("categories/", apis.CategoryListApi.as_view(), name="api_categories"),
    path("programs/", apis.ProgramListApi.as_view(), name="api_programs"),
    path("programs/<str:appid>/", apis.ProgramDetailApi.as_view(), name="api_program_detail"),
    path("programs/<str:appid>/versions/", apis.VersionListApi.as_view(), name="api_versions"),
    path("programs/<str:appid>/versions/<str:version>/", apis.VersionDetailApi.as_view(), name="api_version_detail"),
]

# Portal pages inside an organisation: /orgs/<org_slug>/programs/…
org_portal_patterns: list = []
# Portal pages outside any organisation.
portal_patterns: list = []
