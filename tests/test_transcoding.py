"""academy/transcoding.py with the real ffmpeg on tiny clips it generates: the renditions' sizes, codecs (read
back with ffprobe), bitrate ceiling, faststart, the poster, and the clear errors."""
import subprocess

import pytest

from academy import transcoding


def make_clip(path, *, width, height, seconds=2, noise=False, sound=True):
    """A clip drawn by ffmpeg itself: a test pattern (with noise, to make the encoder work), and a tone."""
    picture = f"testsrc2=size={width}x{height}:rate=15" + (",noise=alls=30:allf=t+u" if noise else "")
    arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", picture]
    if sound:
        arguments += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    arguments += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    arguments += ["-c:a", "aac", "-shortest"] if sound else []
    subprocess.run([*arguments, str(path)], check=True)
    return str(path)


@pytest.fixture(scope="module")
def hd_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "hd.mp4", width=1280, height=720, noise=True)


@pytest.fixture(scope="module")
def renditions(hd_clip, tmp_path_factory):
    folder = tmp_path_factory.mktemp("renditions")
    return {
        profile.quality: transcoding.transcode(hd_clip, str(folder / f"{profile.quality}.mp4"), profile)
        for profile in transcoding.PROFILES
    }


def test_the_low_rendition_is_360p_h264_aac_under_400_kbits(renditions):
    low = renditions["low"]
    assert (low.width, low.height) == (640, 360)
    assert (low.video_codec, low.audio_codec) == ("h264", "aac")
    assert 0 < low.bit_rate <= 400_000
    assert low.duration_seconds == pytest.approx(2, abs=0.2)


def test_the_standard_rendition_is_720p_h264_aac(renditions):
    standard = renditions["standard"]
    assert (standard.width, standard.height) == (1280, 720)
    assert (standard.video_codec, standard.audio_codec) == ("h264", "aac")
    assert standard.bit_rate > renditions["low"].bit_rate


def test_renditions_have_their_index_first_so_playback_starts_after_the_first_bytes(hd_clip, renditions):
    assert renditions["low"].faststart and renditions["standard"].faststart
    assert not transcoding.probe(hd_clip).faststart  # ffmpeg's default puts it last: the flag made the difference


def test_a_small_or_portrait_video_is_never_enlarged(tmp_path):
    small = make_clip(tmp_path / "small.mp4", width=480, height=270, seconds=1, sound=False)
    standard = transcoding.transcode(small, str(tmp_path / "standard.mp4"), transcoding.STANDARD)
    assert (standard.width, standard.height) == (480, 270)
    assert standard.audio_codec == ""  # no sound in, none out

    portrait = make_clip(tmp_path / "portrait.mp4", width=720, height=1280, seconds=1, sound=False)
    low = transcoding.transcode(portrait, str(tmp_path / "low.mp4"), transcoding.LOW)
    assert (low.width, low.height) == (360, 640)


def test_the_poster_is_a_small_jpeg_640_wide(hd_clip, tmp_path):
    target = tmp_path / "poster.jpg"
    size = transcoding.poster(hd_clip, str(target), duration_seconds=2)
    data = target.read_bytes()
    assert data[:3] == b"\xff\xd8\xff" and size == len(data) < 60_000
    info = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "csv=p=0", str(target)],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert info == "mjpeg,640,360"


def test_a_file_that_is_not_a_video_fails_with_ffmpegs_reason(tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    with pytest.raises(transcoding.TranscodingError, match="ffmpeg failed") as failure:
        transcoding.transcode(str(broken), str(tmp_path / "out.mp4"), transcoding.LOW)
    assert "Invalid data" in str(failure.value)


def test_without_ffmpeg_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder without ffmpeg
    with pytest.raises(transcoding.FfmpegMissing, match="apt-get install ffmpeg"):
        transcoding.ffmpeg_check()
