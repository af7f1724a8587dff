from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class DemoMediaWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which in the demo (DEBUG) also serves the media folder: unlike Django's static view it
    answers HTTP Range requests, without which iOS Safari and WeChat cannot play or seek lesson videos.
    In production the proxy serves media (README, deployment)."""

    def __init__(self, get_response=None):
        super().__init__(get_response)
        if settings.DEBUG:
            self.add_files(settings.MEDIA_ROOT, prefix=settings.MEDIA_URL)
