"""Lesson videos for weak networks: the ffmpeg commands that make a video's renditions and its poster.

ffmpeg is Debian's package (``apt-get install ffmpeg``; the README's install steps and .ci/test install it),
run as a program: nothing is linked into Python. Every rendition is H.264 (main profile, yuv420p, which every
phone and WeChat's browser decode) with AAC sound, its index at the front of the file (``-movflags +faststart``)
so that playback starts after the first bytes rather than after the whole file. The quality is constant
(CRF) under a ceiling (``-maxrate``): a slide show stays far below the ceiling, filmed scenes reach it. A
video is never made larger than it is (no upscaling): a 360p upload gives two 360p renditions of different
bitrates.

This module knows files on the local disk only; courses/renditions.py fetches the upload from the storage and
keeps what is made here.
"""
import json
import shutil
import subprocess
from dataclasses import dataclass

from django.utils.translation import gettext_noop

# A clear message for the job page and the console when the program is missing: stored untranslated, shown in
# the reader's language (BackgroundJob.failure_text).
FFMPEG_MISSING = gettext_noop(
    "ffmpeg is not installed on this machine (or not on PATH): install Debian's package with "
    "`apt-get install ffmpeg` (README, installation), then retry."
)
# Seconds one ffmpeg run may take (the task's own limit is 45 minutes for all of a video's files).
FFMPEG_TIMEOUT_SECONDS = 20 * 60


class TranscodingError(Exception):
    """ffmpeg could not make a file: the message says why (ffmpeg's own last lines)."""


class FfmpegMissing(TranscodingError):
    def __init__(self):
        super().__init__(FFMPEG_MISSING)


@dataclass(frozen=True)
class Profile:
    """One rendition: the short side at most ``height`` pixels, video at most ``video_kbps`` kbit/s."""

    quality: str
    height: int
    crf: int
    video_kbps: int
    audio_kbps: int
    audio_channels: int


# ~360p under 400 kbit/s all told (video ceiling + sound + the container's few kbit/s), for 2G/3G and data saving.
LOW = Profile("low", height=360, crf=28, video_kbps=300, audio_kbps=48, audio_channels=1)
# ~720p for Wi-Fi and good 4G.
STANDARD = Profile("standard", height=720, crf=23, video_kbps=1500, audio_kbps=96, audio_channels=2)
PROFILES = (LOW, STANDARD)
POSTER_WIDTH = 640
POSTER_QUALITY = 6  # ffmpeg's JPEG scale, 2 (best) to 31: a poster of 10-40 KB


@dataclass(frozen=True)
class MediaInfo:
    size_bytes: int
    bit_rate: int  # bits per second, the whole file
    duration_seconds: float
    width: int
    height: int
    video_codec: str
    audio_codec: str  # empty when the file has no sound
    faststart: bool  # the index (moov) before the media data (mdat)


def program(name: str) -> str:
    """The path of ffmpeg or ffprobe; FfmpegMissing when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise FfmpegMissing()
    return path


def ffmpeg_check() -> None:
    """Raise FfmpegMissing unless both programs are installed (the job and the bench call it first)."""
    program("ffmpeg")
    program("ffprobe")


def _run(arguments: list[str]) -> str:
    try:
        completed = subprocess.run(
            arguments, capture_output=True, text=True, timeout=FFMPEG_TIMEOUT_SECONDS, check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        raise TranscodingError(f"{arguments[0]} took longer than {FFMPEG_TIMEOUT_SECONDS} s") from error
    if completed.returncode != 0:
        last_lines = " ".join(completed.stderr.strip().splitlines()[-3:])
        raise TranscodingError(f"{arguments[0].rsplit('/', 1)[-1]} failed ({completed.returncode}): {last_lines}")
    return completed.stdout


def _scale(height: int) -> str:
    """Fit the short side into ``height`` (portrait videos filmed on a phone too), never enlarging, with even
    sides as H.264 needs."""
    return (
        f"scale=w='if(gte(iw,ih),-2,min({height},iw))':h='if(gte(iw,ih),min({height},ih),-2)'"
    )


def transcode(source: str, target: str, profile: Profile) -> MediaInfo:
    """Make the ``profile`` rendition of the video at ``source`` as the MP4 file ``target``."""
    _run([
        program("ffmpeg"), "-v", "error", "-nostdin", "-y", "-i", source,
        "-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1", "-sn", "-dn",
        "-vf", _scale(profile.height),
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
        "-crf", str(profile.crf), "-maxrate", f"{profile.video_kbps}k", "-bufsize", f"{2 * profile.video_kbps}k",
        "-c:a", "aac", "-b:a", f"{profile.audio_kbps}k", "-ac", str(profile.audio_channels),
        "-movflags", "+faststart", "-f", "mp4", target,
    ])
    return probe(target)


def poster(source: str, target: str, *, duration_seconds: float) -> int:
    """A small JPEG of the video's picture one second in (or half way, for a shorter video) as ``target``;
    returns its size in bytes."""
    at = min(1.0, duration_seconds / 2) if duration_seconds else 0
    _run([
        program("ffmpeg"), "-v", "error", "-nostdin", "-y", "-ss", f"{at:.2f}", "-i", source,
        "-frames:v", "1", "-vf", f"scale=w='min({POSTER_WIDTH},iw)':h=-2", "-q:v", str(POSTER_QUALITY),
        "-f", "image2", "-c:v", "mjpeg", target,
    ])
    with open(target, "rb") as handle:
        return len(handle.read())


def probe(path: str) -> MediaInfo:
    """What ffprobe says of the file at ``path``."""
    data = json.loads(_run([
        program("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path,
    ]))
    streams = data.get("streams", [])
    video = next((stream for stream in streams if stream.get("codec_type") == "video"), None)
    if video is None:
        raise TranscodingError("the file holds no video stream")
    audio = next((stream for stream in streams if stream.get("codec_type") == "audio"), {})
    form = data.get("format", {})
    return MediaInfo(
        size_bytes=int(form.get("size") or 0),
        bit_rate=int(form.get("bit_rate") or 0),
        duration_seconds=float(form.get("duration") or 0),
        width=int(video.get("width") or 0),
        height=int(video.get("height") or 0),
        video_codec=video.get("codec_name", ""),
        audio_codec=audio.get("codec_name", ""),
        faststart=_moov_first(path),
    )


def _moov_first(path: str) -> bool:
    """True when the MP4's index box (moov) comes before its media data (mdat): the top-level boxes read in
    order, each a 32-bit size (1: a 64-bit size follows) and a four-letter type."""
    with open(path, "rb") as handle:
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return False
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if kind == b"moov":
                return True
            if kind == b"mdat":
                return False
            if size == 1:
                size = int.from_bytes(handle.read(8), "big")
                handle.seek(size - 16, 1)
            elif size == 0:
                return False
            else:
                handle.seek(size - 8, 1)
