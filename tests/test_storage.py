"""Files on S3-compatible object storage (academy/storage.py), against moto's S3 server started here: private
files land in the private bucket, are refused to anyone without a signed link, and reach the person allowed
to have them through a link signed for a few minutes; public media go out through the CDN's address."""
import datetime
import hashlib
import hmac
import io
import socket
import uuid
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import boto3
import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from moto.server import ThreadedMotoServer
from PIL import Image as PillowImage
from wagtail.images.models import Image

from academy.organisation.models import Person, Region, RosterImport
from academy.storage import media_url_setting, storage_settings
from analytics.models import ExportJob
from certification.certificates import certificate_issue
from tests.analytics.conftest import world  # noqa: F401 (fixture)
from tests.analytics.test_exports import request_export
from tests.analytics.test_views_reports import make_report
from tests.certification.conftest import county_centre, passed_application, signed_off_session  # noqa: F401
from tests.factories import ISSUED_ON, RegionFactory, UserFactory, user_with_role
from tests.organisation.test_roster import VILLAGE, another_director, csv_bytes, director

pytestmark = pytest.mark.django_db

CDN = "https://cdn.example.gov.cn/"
KEYS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture(scope="module")
def moto_endpoint():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint, settings):
    """Fresh media and private buckets on the moto server, and the settings an operator would write."""
    environ = {
        **KEYS, "AWS_STORAGE_BUCKET_NAME": f"media-{uuid.uuid4().hex[:8]}",
        "AWS_PRIVATE_BUCKET_NAME": f"private-{uuid.uuid4().hex[:8]}", "AWS_S3_ENDPOINT_URL": moto_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1", "AWS_S3_ADDRESSING_STYLE": "path", "MEDIA_CDN_URL": CDN,
    }
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    for bucket in (environ["AWS_STORAGE_BUCKET_NAME"], environ["AWS_PRIVATE_BUCKET_NAME"]):
        client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**storage_settings(environ), "staticfiles": settings.STORAGES["staticfiles"]}
    settings.MEDIA_URL = media_url_setting(environ)
    client.endpoint = moto_endpoint
    client.media_bucket, client.private_bucket = environ["AWS_STORAGE_BUCKET_NAME"], environ["AWS_PRIVATE_BUCKET_NAME"]
    return client


def private_keys(s3) -> list[str]:
    listing = s3.list_objects_v2(Bucket=s3.private_bucket)
    return [item["Key"] for item in listing.get("Contents", [])]


def assert_refused_without_signature(s3, bucket, key):
    """What anybody gets who finds the object's address: 403, with or without a guessed path."""
    assert requests.get(f"{s3.endpoint}/{bucket}/{key}", timeout=10).status_code == 403


def signature_v4(url: str, secret: str) -> str:
    """The AWS Signature Version 4 of a presigned GET link, computed from the specification (moto accepts any
    signature, a real S3, OSS or COS checks it and the expiry it covers)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "X-Amz-Signature"]
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query))
    canonical = "\n".join(["GET", parts.path, canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"])
    values = dict(query)
    scope = values["X-Amz-Credential"].split("/", 1)[1]
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", values["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def fetch_signed(response, *, seconds=300):
    """Follow the application's redirect to the signed link, as the browser does, checking that it is signed
    for ``seconds`` from now."""
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    query = parse_qs(urlsplit(response.url).query)
    assert query["X-Amz-Expires"] == [str(seconds)] and "X-Amz-Signature" in query
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)
    assert abs((timezone.now() - signed_at).total_seconds()) < 60
    # Signed with the key, the expiry included: changing X-Amz-Expires would break the signature.
    assert query["X-Amz-Signature"] == [signature_v4(response.url, KEYS["AWS_SECRET_ACCESS_KEY"])]
    assert signature_v4(response.url.replace(f"X-Amz-Expires={seconds}", "X-Amz-Expires=86400"),
                        KEYS["AWS_SECRET_ACCESS_KEY"]) != query["X-Amz-Signature"][0]
    answer = requests.get(response.url, timeout=10)
    assert answer.status_code == 200
    return answer


# --- Private files ---------------------------------------------------------------------------------------


def test_a_roster_upload_lands_in_the_private_bucket_and_the_import_reads_it(s3, client,
                                                                               django_capture_on_commit_callbacks):
    RegionFactory(code=VILLAGE, name="清波村", level="village", parent_id="330102001", is_synthetic=True)
    client.force_login(UserFactory(admin_region=Region.objects.get(code="330102")))
    data = csv_bytes([director(), another_director(region_code=VILLAGE)])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organisation:import_new"), {"file": SimpleUploadedFile("roster.csv", data)})

    roster_import = RosterImport.objects.get()
    assert roster_import.status == RosterImport.Status.VALID, roster_import.errors
    [key] = private_keys(s3)
    assert key.startswith("private/roster-imports/")
    assert s3.get_object(Bucket=s3.private_bucket, Key=key)["Body"].read() == data
    assert_refused_without_signature(s3, s3.private_bucket, key)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("organisation:import_confirm", args=[roster_import.pk]))
    assert Person.objects.filter(name="陈静").exists()
    assert private_keys(s3) == []  # the upload is deleted once the import is over


def test_a_certificate_is_stored_privately_and_downloaded_through_a_short_lived_link(s3, client,
                                                                                      passed_application):
    certificate = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    [key] = private_keys(s3)
    assert key == f"private/certification/certificates/{certificate.number}.pdf"
    assert_refused_without_signature(s3, s3.private_bucket, key)

    client.force_login(UserFactory(person=certificate.person))
    response = client.get(reverse("certification:certificate_pdf", args=[certificate.public_id]))

    answer = fetch_signed(response)
    assert answer.content.startswith(b"%PDF") and answer.content == certificate.pdf.open("rb").read()
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Disposition"] == (
        f"attachment; filename=\"{certificate.number}.pdf\"; filename*=UTF-8''{certificate.number}.pdf"
    )
    # The link is to the private bucket, not through the CDN, and says nothing of the person.
    assert response.url.startswith(f"{s3.endpoint}/{s3.private_bucket}/") and CDN not in response.url
    # Nobody else gets a link.
    client.force_login(UserFactory())
    assert client.get(reverse("certification:certificate_pdf", args=[certificate.public_id])).status_code == 403


def test_the_link_lasts_as_long_as_private_link_seconds(s3, client, passed_application, settings, moto_endpoint):
    environ = {
        **KEYS, "AWS_STORAGE_BUCKET_NAME": s3.media_bucket, "AWS_PRIVATE_BUCKET_NAME": s3.private_bucket,
        "AWS_S3_ENDPOINT_URL": moto_endpoint, "AWS_S3_ADDRESSING_STYLE": "path", "PRIVATE_LINK_SECONDS": "60",
    }
    settings.STORAGES = {**storage_settings(environ), "staticfiles": settings.STORAGES["staticfiles"]}
    certificate = certificate_issue(application=passed_application, issued_on=ISSUED_ON)
    client.force_login(UserFactory(person=certificate.person))

    fetch_signed(client.get(reverse("certification:certificate_pdf", args=[certificate.public_id])), seconds=60)


def test_an_export_is_written_to_the_private_bucket_and_fetched_through_the_signed_link(
    s3, client, world, django_capture_on_commit_callbacks,  # noqa: F811
):
    client.force_login(user_with_role("county_admin"))
    job = request_export(client, django_capture_on_commit_callbacks, file_format="csv")
    assert job.status == ExportJob.Status.DONE
    [key] = private_keys(s3)
    assert key.startswith("private/exports/") and key == f"private/{job.file.name}"
    assert_refused_without_signature(s3, s3.private_bucket, key)

    answer = fetch_signed(client.get(reverse("analytics:export_download", args=[job.pk])))

    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="untrained-')
    text = answer.content.decode("utf-8-sig")
    assert text.startswith("姓名,") and "上城未训" in text and "海曙未训" not in text


def test_a_monthly_report_is_fetched_through_the_signed_link_and_one_lost_from_the_bucket_is_not_found(s3, client):
    client.force_login(user_with_role("city_admin", admin_region_code="3301"))
    report, lost = make_report("330102", datetime.date(2026, 9, 1)), make_report("3301", datetime.date(2026, 9, 1))
    s3.delete_object(Bucket=s3.private_bucket, Key=f"private/{lost.pdf.name}")
    assert_refused_without_signature(s3, s3.private_bucket, f"private/{report.pdf.name}")

    answer = fetch_signed(client.get(reverse("analytics:report_download", args=[report.pk])))

    assert answer.content == b"%PDF-330102-2026-09"
    assert answer.headers["Content-Disposition"] == (
        "attachment; filename=\"monthly-report-330102-2026-09.pdf\"; filename*=UTF-8''monthly-report-330102-2026-09.pdf"
    )
    assert client.get(reverse("analytics:report_download", args=[lost.pk])).status_code == 404


# --- Public media ----------------------------------------------------------------------------------------


def test_a_public_image_is_addressed_through_the_cdn_and_readable_by_anyone(s3):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    image = Image.objects.create(title="课程封面", file=ImageFile(buffer, name="cover.png"))

    assert image.file.url == f"{CDN}{image.file.name}"
    rendition = image.get_rendition("width-32")
    assert rendition.url.startswith(f"{CDN}images/")
    # The CDN fetches from the media bucket, where the image and its rendition are readable without a key.
    for name in (image.file.name, rendition.file.name):
        assert requests.get(f"{s3.endpoint}/{s3.media_bucket}/{name}", timeout=10).status_code == 200
    assert private_keys(s3) == []


def test_local_disk_stays_the_default():
    assert storage_settings({})["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert storage_settings({})["private"]["BACKEND"] == "academy.storage.PrivateFileSystemStorage"
    assert media_url_setting({}) == "/media/"
    assert media_url_setting({"MEDIA_CDN_URL": "https://cdn.example.gov.cn"}) == CDN


def test_private_files_sharing_the_media_bucket_keep_a_prefix_of_their_own():
    shared = storage_settings({"AWS_STORAGE_BUCKET_NAME": "academy"})
    assert shared["default"]["OPTIONS"]["location"] == "media" and shared["default"]["OPTIONS"]["querystring_auth"] is False
    assert shared["private"]["OPTIONS"]["location"] == "private" and shared["private"]["OPTIONS"]["default_acl"] == "private"
    with pytest.raises(ImproperlyConfigured):
        storage_settings({"AWS_STORAGE_BUCKET_NAME": "academy", "AWS_MEDIA_LOCATION": "", "AWS_PRIVATE_LOCATION": "p"})
    with pytest.raises(ImproperlyConfigured):
        storage_settings({"AWS_STORAGE_BUCKET_NAME": "academy", "AWS_PRIVATE_LOCATION": "media"})
