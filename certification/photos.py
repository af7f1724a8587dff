"""The candidate's photo as the certificate prints it: cut to the printed box's 3:4 shape and scaled to
PHOTO_PIXELS, upright, as a JPEG. Made once, when the photo is uploaded (applications.py), so that each of a
batch's certificates takes the stored file as it is; a photo stored before that is made ready when printed."""
import io

from PIL import Image, ImageOps

# The photo is printed about 3.3 × 4.4 cm: this many pixels is about 230 dpi, sharp in print, and keeps a
# phone photo's megabytes out of every PDF.
PHOTO_PIXELS = (300, 400)
PHOTO_QUALITY = 88
# EXIF's orientation tag: anything but 1 (upright) means the pixels are stored turned.
_ORIENTATION = 0x0112


def photo_print_ready(handle) -> bytes:
    """The photo in the file ``handle`` as printed, in JPEG. Raises what Pillow raises for a file that is not an
    image it can read (OSError, UnidentifiedImageError, ValueError) or that declares far too many pixels
    (Image.DecompressionBombError)."""
    image = Image.open(handle)
    # A JPEG is decoded straight at the smallest fraction of its size (1/2 to 1/8) still covering the printed
    # pixels: the decoder's own scaling averages the pixels it drops, at a fraction of Pillow's resampling cost.
    image.draft("RGB", PHOTO_PIXELS)
    image.load()
    # Cut to the printed box's shape around the centre, as a photo studio would.
    image = ImageOps.fit(ImageOps.exif_transpose(image).convert("RGB"), PHOTO_PIXELS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=PHOTO_QUALITY)
    return buffer.getvalue()


def photo_is_print_ready(data: bytes) -> bool:
    """Whether stored photo bytes are printed as they are: an upright RGB JPEG of PHOTO_PIXELS. Reads the
    header only."""
    with Image.open(io.BytesIO(data)) as image:
        return (
            image.format == "JPEG" and image.mode == "RGB" and image.size == PHOTO_PIXELS
            and image.getexif().get(_ORIENTATION, 1) == 1
        )
