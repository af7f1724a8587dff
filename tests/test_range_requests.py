"""academy.middleware.RangeRequestMiddleware (tests/test_middleware.py holds the other middleware's tests): HTTP Range requests (iOS Safari and WeChat play and seek video only
with them) answered in every way Django serves a file: media through Django's static view (DEBUG, the browser
tests), static files and demo media through WhiteNoise, private files through private_file_response."""
import email
import os

import pytest
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory
from django.utils.http import http_date

from academy.middleware import RangeRequestMiddleware, range_parse
from academy.storage import private_file_response, private_storage
from certification.models import Certificate

BODY = bytes(range(256)) * 4  # 1,024 bytes, each position telling where it is


@pytest.fixture
def media_file(settings):
    """A 1,024-byte video in the media folder, served by Django's static view (tests/browser/urls.py)."""
    settings.ROOT_URLCONF = "tests.browser.urls"
    os.makedirs(settings.MEDIA_ROOT / "videos", exist_ok=True)
    (settings.MEDIA_ROOT / "videos" / "clip.mp4").write_bytes(BODY)
    return "/media/videos/clip.mp4"


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_whole_file_says_it_accepts_ranges(client, media_file):
    response = client.get(media_file)
    assert response.status_code == 200 and response["Accept-Ranges"] == "bytes"
    assert content(response) == BODY


@pytest.mark.parametrize("header, first, last", [
    ("bytes=0-99", 0, 99),  # what a player asks first
    ("bytes=1000-", 1000, 1023),  # from a point to the end (a seek)
    ("bytes=-24", 1000, 1023),  # the last bytes (where an MP4 without faststart keeps its index)
    ("bytes=1000-5000", 1000, 1023),  # past the end: up to the end
    ("bytes=0-1", 0, 1),  # iOS Safari's first probe
])
def test_a_range_gets_206_with_those_bytes(client, media_file, header, first, last):
    response = client.get(media_file, HTTP_RANGE=header)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/1024"
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Type"] == "video/mp4" and response["Accept-Ranges"] == "bytes"
    assert content(response) == BODY[first:last + 1]


@pytest.mark.parametrize("header", ["bytes=1024-", "bytes=2000-3000", "bytes=-0"])
def test_a_range_beyond_the_end_gets_416_naming_the_size(client, media_file, header):
    response = client.get(media_file, HTTP_RANGE=header)
    assert response.status_code == 416 and response["Content-Range"] == "bytes */1024"


def test_several_ranges_get_one_multipart_answer(client, media_file):
    response = client.get(media_file, HTTP_RANGE="bytes=0-9, 500-509,-4")
    assert response.status_code == 206
    assert response["Content-Type"].startswith("multipart/byteranges; boundary=")
    body = content(response)
    assert response["Content-Length"] == str(len(body))
    message = email.message_from_bytes(
        f"Content-Type: {response['Content-Type']}\r\n\r\n".encode() + body
    )
    parts = [(part["Content-Range"], part["Content-Type"], part.get_payload(decode=True)) for part in message.get_payload()]
    assert parts == [
        ("bytes 0-9/1024", "video/mp4", BODY[0:10]),
        ("bytes 500-509/1024", "video/mp4", BODY[500:510]),
        ("bytes 1020-1023/1024", "video/mp4", BODY[1020:]),
    ]


def test_overlapping_ranges_are_merged_into_one(client, media_file):
    response = client.get(media_file, HTTP_RANGE="bytes=10-19,0-12,20-29")
    assert response.status_code == 206 and response["Content-Range"] == "bytes 0-29/1024"
    assert content(response) == BODY[:30]


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=10-5", "items=0-9", "bytes=", "bytes=-"])
def test_a_range_that_does_not_parse_is_ignored(client, media_file, header):
    response = client.get(media_file, HTTP_RANGE=header)
    assert response.status_code == 200 and content(response) == BODY


def test_if_range_of_another_version_gets_the_whole_file(client, media_file):
    modified = client.get(media_file)["Last-Modified"]
    assert client.get(media_file, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=modified).status_code == 206
    older = http_date(0)
    assert client.get(media_file, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=older).status_code == 200
    assert client.get(media_file, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"some-etag"').status_code == 200


def test_whitenoise_static_files_answer_one_range_and_several(client):
    single = client.get("/static/js/video.js", HTTP_RANGE="bytes=0-9")
    assert single.status_code == 206 and content(single) == b"/* Lesson "
    several = client.get("/static/js/video.js", HTTP_RANGE="bytes=0-1,3-8")
    assert several.status_code == 206 and several["Content-Type"].startswith("multipart/byteranges")
    assert b"Content-Range: bytes 3-8/" in content(several)


def test_private_files_answer_ranges(db, settings):
    name = private_storage().save("certification/certificates/clip.mp4", ContentFile(BODY))
    fieldfile = FieldFile(None, Certificate._meta.get_field("pdf"), name)
    request = RequestFactory().get("/download", HTTP_RANGE="bytes=100-199")

    def view(request):
        return private_file_response(request, fieldfile, filename="clip.mp4", content_type="video/mp4")

    response = RangeRequestMiddleware(view)(request)
    assert response.status_code == 206 and response["Content-Range"] == "bytes 100-199/1024"
    assert response["Content-Disposition"] == "attachment; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
    assert content(response) == BODY[100:200]
    response.close()


def test_range_parse():
    assert range_parse("bytes=0-0", 10) == [(0, 0)]
    assert range_parse("BYTES = 5 - ", 10) == [(5, 9)]
    assert range_parse("bytes=-20", 10) == [(0, 9)]
    assert range_parse("bytes=0-1,2-3", 10) == [(0, 3)]  # touching: merged
    assert range_parse("bytes=10-", 10) == []
    assert range_parse("bytes=0-1,x", 10) is None
