from django.urls import path

from reviews import apis, views

# Reviewer pages: /reviews/…
portal_patterns = [
    path("", views.queue, name="review_queue"),
    path("next/", views.review_next, name="review_next"),
    path("<int:version_id>/", views.review_detail, name="review_detail"),
    path("<int:version_id>/claim/", views.review_claim, name="review_claim"),
    path("<int:version_id>/claim/refresh/", views.review_claim_refresh, name="review_claim_refresh"),
    path("<int:version_id>/claim/release/", views.review_claim_release, name="review_claim_release"),
    path("<int:version_id>/decide/", views.review_decide, name="review_decide"),
    path("<int:version_id>/messages/", views.review_message, name="review_message"),
    # The code viewer (programs/views/code.py), as reviewers reach it from the review page.
    path("<int:version_id>/code/", views.review_code, name="review_code"),
    path("<int:version_id>/code/changes/", views.review_code_changes, name="review_code_changes"),
    path("<int:version_id>/code/raw/", views.review_code_raw, name="review_code_raw"),
    path("<int:version_id>/code/search/", views.review_code_search, name="review_code_search"),
    # The developer's answer, posted from the review panel on their version page.
    path("<int:version_id>/answer/", views.developer_answer, name="review_answer"),
]

# Under /api/v1/
api_patterns = [
    path("reviews/queue/", apis.ReviewQueueApi.as_view(), name="api_review_queue"),
    path("reviews/<int:version_id>/claim/", apis.ReviewClaimApi.as_view(), name="api_review_claim"),
    path("reviews/<int:version_id>/decision/", apis.ReviewDecisionApi.as_view(), name="api_review_decision"),
    path("programs/<str:appid>/versions/<str:version>/messages/", apis.VersionMessagesApi.as_view(),
         name="api_version_messages"),
]
