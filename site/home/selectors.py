from django.core.cache import cache
from wagtail.models import Site

from .models import HOSTING_SETTINGS_VERSION_KEY, HostingSettings

HOSTING_SETTINGS_SECONDS = 10 * 60


def hosting_settings_for_request(request) -> HostingSettings:
    """The filing numbers of the site serving ``request``, from the cache: every page's footer shows them, and
    reading them from the database would cost every page two queries (the site, then its settings). Saving
    them in the CMS moves the version on, so the footer changes at once."""
    version = cache.get_or_set(HOSTING_SETTINGS_VERSION_KEY, "first", timeout=None)
    key = f"home:hosting-settings:{version}:{request.get_host()}"
    hosting = cache.get(key)
    if hosting is None:
        site = Site.find_for_request(request)
        # Not HostingSettings.for_site, which writes an empty row on first reading.
        hosting = HostingSettings.objects.filter(site=site).first() or HostingSettings(site=site)
        cache.set(key, hosting, timeout=HOSTING_SETTINGS_SECONDS)
    return hosting
