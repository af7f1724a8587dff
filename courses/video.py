"""Reading a video's duration from its file, so the server knows how long a lesson video is."""
from mutagen import MutagenError
from mutagen.mp4 import MP4


def read_duration_seconds(file) -> float | None:
    """The duration of an MP4 file (an uploaded file or an open file object), or None if unreadable."""
    try:
        file.seek(0)
        duration = MP4(file).info.length
    except (MutagenError, ValueError, OSError):
        return None
    finally:
        file.seek(0)
    return round(duration, 2) if duration and duration > 0 else None
