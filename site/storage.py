from django.core.files.storage import storages


def private_storage():
    """Where files holding personal data go: see STORAGES["private"] in the settings. A callable, so that
    migrations do not record a path and tests can move it."""
    return storages["private"]
