from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from academy import health, observability, offline
from academy.accounts import urls as accounts_urls
from academy.organisation.views import me

urlpatterns = [
    # For the load balancer and the operator: alive, and ready to serve (academy/health.py).
    path("healthz", health.alive, name="healthz"),
    path("readyz", health.ready, name="readyz"),
    path("metrics", observability.metrics, name="metrics"),
    # The CMS has no sign-in of its own: its pages send people to allauth's (settings.WAGTAILADMIN_LOGIN_URL),
    # and Wagtail's username-and-password form, which has no limits, is replaced by a redirect.
    path("cms/login/", RedirectView.as_view(pattern_name="account_login", query_string=True)),
    path("cms/password_reset/", RedirectView.as_view(pattern_name="account_reset_password")),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("i18n/setlang/", set_language, name="set_language"),
    # Reading lessons offline: the service worker and the manifest at the root, so that their scope is the site.
    path("sw.js", offline.service_worker, name="service_worker"),
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("offline/", offline.offline_page, name="offline"),
    # Mobile numbers and emails come from the roster: allauth's pages for changing them are closed, and
    # a person whose number changed asks their administrator.
    path("accounts/phone/change/", RedirectView.as_view(pattern_name="accounts:home")),
    path("accounts/email/", RedirectView.as_view(pattern_name="accounts:home")),
    # WeChat is bound and unbound on the person's page only (with its audit entry), not on allauth's connections page.
    path("accounts/3rdparty/", RedirectView.as_view(pattern_name="accounts:home")),
    path("accounts/", include("allauth.urls")),
    path("me/", include(([path("", me.home, name="home"), *accounts_urls.urlpatterns], accounts_urls.app_name))),
    path("manage/", include("academy.organisation.urls")),
    path("learn/", include("courses.urls")),
    path("coverage/", include("analytics.urls")),
    path("", include("certification.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree serves every other address.
urlpatterns += [path("", include(wagtail_urls))]
