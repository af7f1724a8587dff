"""Where files are kept, and how a private one reaches the person allowed to have it.

Two storages: the public media (images, documents, lesson videos and their renditions: Django's default
storage) and the private files holding personal data (roster uploads, certificates, exports, monthly reports,
photos, proofs of training). Both are on the local disk unless AWS_STORAGE_BUCKET_NAME names an S3-compatible
bucket (Aliyun OSS, Tencent COS, MinIO and AWS all speak S3): then both are in object storage, the private
files in their own bucket or under their own prefix, every object private, handed out only by a link signed
for a few minutes after the application's permission check (private_file_response). Public media go out
through MEDIA_CDN_URL when set.

storage_settings() turns the environment into the STORAGES setting, so this module is the one place that
decides; the settings call it, and nothing else reads those variables.
"""
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from botocore.config import Config
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponseRedirect
from django.utils.functional import LazyObject, empty
from storages.backends.s3 import S3Storage

from .http import download_disposition

PRIVATE = "private"  # the STORAGES alias of the private files
PRIVATE_LINK_SECONDS = 300


def storage_settings(environ: Mapping[str, str]) -> dict:
    """The STORAGES setting (without "staticfiles") for this environment: local folders by default, an
    S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set."""
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            PRIVATE: {"BACKEND": "academy.storage.PrivateFileSystemStorage"},
        }
    connection = {
        "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
        "region_name": environ.get("AWS_S3_REGION_NAME") or None,
        "access_key": environ.get("AWS_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("AWS_SECRET_ACCESS_KEY") or None,
        "client_config": Config(
            # Aliyun OSS accepts only virtual-hosted addresses (bucket.endpoint); MinIO usually wants "path".
            s3={"addressing_style": environ.get("AWS_S3_ADDRESSING_STYLE") or None},
            signature_version="s3v4",
            # boto3 adds CRC checksums to every upload since 1.36, which OSS, COS and older MinIO refuse: only
            # where the operation requires one.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        ),
        # Two uploads with the same name never replace one another: the second gets a suffix, as on disk.
        "file_overwrite": False,
    }
    shared_bucket = environ.get("AWS_PRIVATE_BUCKET_NAME", "").strip() in ("", bucket)
    media = {
        **connection,
        "bucket_name": bucket,
        # Sharing one bucket with the private files, the media take a prefix of their own.
        "location": environ.get("AWS_MEDIA_LOCATION", "media" if shared_bucket else "").strip("/"),
        "querystring_auth": False,
        # Each media object is made readable by anyone, so the bucket itself may stay private. Empty: leave it to
        # the bucket's own policy (a bucket that refuses object ACLs, or a CDN reading a private origin).
        "default_acl": environ.get("AWS_MEDIA_ACL", "public-read") or None,
    }
    cdn = urlsplit(environ.get("MEDIA_CDN_URL", "").strip())
    if cdn.netloc:
        media["custom_domain"] = cdn.netloc + cdn.path.rstrip("/")
        media["url_protocol"] = f"{cdn.scheme or 'https'}:"
    private = {
        **connection,
        "bucket_name": environ.get("AWS_PRIVATE_BUCKET_NAME", "").strip() or bucket,
        "location": environ.get("AWS_PRIVATE_LOCATION", "private").strip("/"),
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": int(environ.get("PRIVATE_LINK_SECONDS") or PRIVATE_LINK_SECONDS),
    }
    if private["bucket_name"] == bucket and (
        not private["location"] or not media["location"] or private["location"] == media["location"]
    ):
        # One bucket for both: the private files need a prefix of their own, apart from the media.
        raise ImproperlyConfigured(
            "AWS_PRIVATE_LOCATION and AWS_MEDIA_LOCATION must be two different prefixes when the private files "
            "share the media bucket (or set AWS_PRIVATE_BUCKET_NAME)."
        )
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": media},
        PRIVATE: {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": private},
    }


def media_url_setting(environ: Mapping[str, str]) -> str:
    """MEDIA_URL: the CDN's address when MEDIA_CDN_URL is set (on disk too: a CDN pulling from nginx)."""
    cdn = environ.get("MEDIA_CDN_URL", "").strip()
    return cdn.rstrip("/") + "/" if cdn else "/media/"


def media_origins(environ: Mapping[str, str]) -> list[str]:
    """The origins public media are fetched from, besides this site, for the Content-Security-Policy: the CDN,
    or the media bucket's own address."""
    cdn = urlsplit(environ.get("MEDIA_CDN_URL", "").strip())
    if cdn.netloc:
        return [f"{cdn.scheme or 'https'}://{cdn.netloc}"]
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME", "").strip()
    if not bucket:
        return []
    endpoint = urlsplit(environ.get("AWS_S3_ENDPOINT_URL", "").strip())
    if not endpoint.netloc:  # Amazon's own addresses
        return [f"https://{bucket}.s3.amazonaws.com", "https://*.amazonaws.com"]
    if environ.get("AWS_S3_ADDRESSING_STYLE") == "virtual":
        return [f"{endpoint.scheme}://{bucket}.{endpoint.netloc}"]
    return [f"{endpoint.scheme}://{endpoint.netloc}"]


class PrivateFileSystemStorage(FileSystemStorage):
    """Private files on the local disk, under settings.PRIVATE_MEDIA_ROOT: never served by the web server. The
    folder is read from the settings at each use, so tests can move it."""

    def __init__(self, **options):
        super().__init__(base_url=None, **options)

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


class PrivateStorage(LazyObject):
    """The storage configured as STORAGES["private"], looked up at first use and again after the setting
    changes, as Django's default_storage is."""

    def _setup(self):
        self._wrapped = storages[PRIVATE]


_private = PrivateStorage()


@receiver(setting_changed, dispatch_uid="academy.storage.private_changed")
def _private_storage_reset(*, setting, **kwargs):
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage():
    """A callable for FileField(storage=...), so that migrations record no path or bucket."""
    return _private


def _unwrapped(storage):
    if isinstance(storage, LazyObject):
        if storage._wrapped is empty:
            storage._setup()
        return storage._wrapped
    return storage


def private_file_response(request, fieldfile, *, filename: str, content_type: str, as_attachment: bool = True,
                          disposition: str | None = None):
    """The answer to a download the caller has already allowed: the file itself from the local disk, or a
    redirect to a link signed for PRIVATE_LINK_SECONDS in object storage, which makes the storage answer with the
    same name and type. ``disposition`` replaces the Content-Disposition made from ``filename`` (a name in
    Chinese with an ASCII fallback, say: academy.http.download_disposition). Raises FileNotFoundError when the
    file is missing."""
    disposition = disposition or download_disposition(filename, as_attachment=as_attachment)
    storage = _unwrapped(fieldfile.storage)
    if not isinstance(storage, S3Storage):
        response = FileResponse(fieldfile.open("rb"), content_type=content_type)
        response["Content-Disposition"] = disposition
        return response
    if not storage.exists(fieldfile.name):
        raise FileNotFoundError(fieldfile.name)
    url = storage.url(fieldfile.name, parameters={
        "ResponseContentDisposition": disposition, "ResponseContentType": content_type,
    })
    response = HttpResponseRedirect(url)
    # The link is for this person and these few minutes: neither the browser nor a proxy keeps the redirect.
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    return response
