from django.utils.functional import SimpleLazyObject

from .selectors import hosting_settings_for_request


def filing_numbers(request):
    """The footer's filing numbers (HostingSettings), read when the footer is drawn."""
    return {"filing_numbers": SimpleLazyObject(lambda: hosting_settings_for_request(request))}
