from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import apis, member_apis
from console.health import HealthView
from console.notify import apis as webhook_apis
from console.twofactor import views as twofactor_views
from console.views import accounts, invitations, notifications, operations, organisations
from distribution import urls as distribution_urls
from programs import urls as program_urls
from reviews import urls as review_urls
from stats import urls as stats_urls

account_patterns = [
    path("signup/", accounts.sign_up, name="sign_up"),
    path("login/", accounts.SignInView.as_view(), name="login"),
    path("verify/resend/", accounts.email_verify_resend, name="email_verify_resend"),
    path("verify/<str:token>/", accounts.email_verify_page, name="email_verify"),
    path("two-factor/", twofactor_views.two_factor_settings, name="two_factor_settings"),
    path("two-factor/verify/", twofactor_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/setup/", twofactor_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", twofactor_views.recovery_codes_new, name="recovery_codes_new"),
    path("two-factor/off/", twofactor_views.two_factor_off, name="two_factor_off"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="console/password_change_done.html"), name="password_change_done"),
    path("password/reset/", accounts.RateLimitedPasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(
        template_name="console/password_reset_sent.html"), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", accounts.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/complete/", auth_views.PasswordResetCompleteView.as_view(
        template_name="console/password_reset_complete.html"), name="password_reset_complete"),
    path("language/", accounts.set_language, name="set_language"),
]

org_patterns = [
    path("", organisations.organisation_dashboard, name="organisation_dashboard"),
    path("settings/", organisations.organisation_settings, name="organisation_settings"),
    path("members/", organisations.members, name="members"),
    path("members/<int:member_id>/role/", organisations.member_role, name="member_role"),
    path("members/<int:member_id>/remove/", organisations.member_remove, name="member_remove"),
    path("invitations/<int:invitation_id>/revoke/", organisations.invitation_cancel, name="invitation_revoke"),
    path("api-keys/", organisations.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/created/", organisations.api_key_created, name="api_key_created"),
    path("api-keys/<int:key_id>/revoke/", organisations.api_key_delete, name="api_key_revoke"),
    path("audit/", organisations.audit_log, name="audit_log"),
    path("webhooks/", notifications.webhook_list, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", notifications.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:endpoint_id>/toggle/", notifications.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:endpoint_id>/delete/", notifications.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:endpoint_id>/secret/", notifications.webhook_roll_secret, name="webhook_roll_secret"),
    path("webhooks/<int:endpoint_id>/ping/", notifications.webhook_send_ping, name="webhook_ping"),
    path("webhooks/<int:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver/",
         notifications.webhook_delivery_redeliver, name="webhook_redeliver"),
    path("programs/<str:appid>/stats/", include(stats_urls.org_portal_patterns)),
    path("programs/", include(program_urls.org_portal_patterns)),
    path("programs/<str:appid>/distribution/", include(distribution_urls.program_patterns)),
]

notification_patterns = [
    path("", notifications.notification_list, name="notifications"),
    path("<int:notification_id>/", notifications.notification_open, name="notification_open"),
    path("read-all/", notifications.notifications_read_all, name="notifications_read_all"),
    path("preferences/", notifications.notification_preferences, name="notification_preferences"),
]

api_v1_patterns = [
    path("me/", apis.MeApi.as_view(), name="api_me"),
    path("orgs/<slug:org_slug>/audit/", apis.AuditEventListApi.as_view(), name="api_audit_events"),
    path("orgs/<slug:org_slug>/members/", member_apis.MemberListApi.as_view(), name="api_members"),
    path("orgs/<slug:org_slug>/members/<int:member_id>/", member_apis.MemberDetailApi.as_view(), name="api_member"),
    path("orgs/<slug:org_slug>/invitations/", member_apis.InvitationListApi.as_view(), name="api_invitations"),
    path("orgs/<slug:org_slug>/invitations/<int:invitation_id>/", member_apis.InvitationDetailApi.as_view(),
         name="api_invitation"),
    path("orgs/<slug:org_slug>/api-keys/", member_apis.ApiKeyListApi.as_view(), name="api_api_keys"),
    path("orgs/<slug:org_slug>/api-keys/<int:key_id>/", member_apis.ApiKeyDetailApi.as_view(), name="api_api_key"),
    path("orgs/<slug:org_slug>/webhooks/", webhook_apis.WebhookListApi.as_view(), name="api_webhooks"),
    path("orgs/<slug:org_slug>/webhooks/<int:endpoint_id>/", webhook_apis.WebhookDetailApi.as_view(),
         name="api_webhook"),
    path("orgs/<slug:org_slug>/webhooks/<int:endpoint_id>/roll-secret/",
         webhook_apis.WebhookRollSecretApi.as_view(), name="api_webhook_roll_secret"),
    path("orgs/<slug:org_slug>/webhooks/<int:endpoint_id>/ping/", webhook_apis.WebhookPingApi.as_view(),
         name="api_webhook_ping"),
    path("orgs/<slug:org_slug>/webhooks/<int:endpoint_id>/deliveries/", webhook_apis.DeliveryListApi.as_view(),
         name="api_webhook_deliveries"),
    path("orgs/<slug:org_slug>/webhooks/<int:endpoint_id>/deliveries/<uuid:delivery_id>/redeliver/",
         webhook_apis.RedeliverApi.as_view(), name="api_webhook_redeliver"),
    *program_urls.api_patterns,
    *review_urls.api_patterns,
    *distribution_urls.api_patterns,
    *stats_urls.api_patterns,
]

urlpatterns = [
    path("", organisations.dashboard, name="dashboard"),
    path("accounts/", include(account_patterns)),
    path("orgs/new/", organisations.organisation_new, name="organisation_create"),
    path("orgs/switch/", organisations.switch_organisation, name="organisation_switch"),
    path("orgs/<slug:org_slug>/", include(org_patterns)),
    path("invitations/<str:token>/", invitations.invitation_accept_page, name="invitation_accept"),
    path("notifications/", include(notification_patterns)),
    *program_urls.portal_patterns,
    path("reviews/", include(review_urls.portal_patterns)),
    path("distribution/", include(distribution_urls.operator_patterns)),
    *distribution_urls.portal_patterns,
    path("stats/", include(stats_urls.portal_patterns)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="console/api_docs.html"), name="api_docs"),
    re_path(r"^api/", apis.api_not_found),
    path("healthz/", HealthView.as_view(), name="healthz"),
    path("metrics/", operations.prometheus_metrics, name="metrics"),
    path("favicon.ico", operations.favicon),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
