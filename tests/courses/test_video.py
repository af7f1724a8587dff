import io
from pathlib import Path

from courses.video import read_duration_seconds

DEMO_MEDIA = Path(__file__).resolve().parents[2] / "site" / "demo" / "content" / "media"


def test_the_duration_is_read_from_a_real_mp4():
    with open(DEMO_MEDIA / "director-home-visit.mp4", "rb") as video:
        assert 37 < read_duration_seconds(video) < 38


def test_a_file_that_is_not_an_mp4_has_no_duration():
    assert read_duration_seconds(io.BytesIO(b"not a video at all")) is None
