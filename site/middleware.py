from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware

CMS_PREFIX = "/cms/"


class DemoMediaWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which in the demo (DEBUG) also serves the media folder: unlike Django's static view it
    answers HTTP Range requests, without which iOS Safari and WeChat cannot play or seek lesson videos.
    In production the proxy serves media (README, deployment)."""

    def __init__(self, get_response=None):
        super().__init__(get_response)
        if settings.DEBUG:
            self.add_files(settings.MEDIA_ROOT, prefix=settings.MEDIA_URL)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (CONTENT_SECURITY_POLICY), with inline script and style allowed under /cms/ only.
    Wagtail's admin writes inline <script> elements (wagtailadmin/widgets/date_input.html,
    panels/inline_panel.html, panels/multiple_chooser_panel.html) and cannot work without them. The CMS is open
    to content editors and system administrators only, after signing in; every other page keeps the strict
    policy."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info.startswith(CMS_PREFIX) and parts.update is None:
            parts.update = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}
        return parts
