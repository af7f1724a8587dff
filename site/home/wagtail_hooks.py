"""The CMS as the platform's editors see it."""
from wagtail import hooks

WAGTAIL_RELEASE_NOTES = "whats-new-in-wagtail-"


@hooks.register("construct_help_menu")
def help_menu_without_wagtails_release_notes(request, menu_items):
    """Wagtail's "What's new in Wagtail 8.0" links to the framework's release notes on wagtail.org: news for the
    platform's developers, not its editors. Wagtail also formats its label once a process, when the menu is
    first built, in the language of whoever opened the CMS first, so a Chinese editor could get it in English."""
    menu_items[:] = [item for item in menu_items if not item.name.startswith(WAGTAIL_RELEASE_NOTES)]
