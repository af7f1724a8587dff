import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """Files holding personal data (roster uploads, and later certificates and exports), kept under
    settings.PRIVATE_MEDIA_ROOT: never served by the web server, handed out only by views that check
    permissions. The folder is read from the settings at each use, so tests can move it."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    """A callable for FileField(storage=...), so that migrations do not record a path."""
    return PrivateStorage()
