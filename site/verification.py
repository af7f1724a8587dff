"""What the public verification pages share, certificates (certification) and transcripts (courses) alike: the
platform's public address that QR codes lead to, the QR code itself, the holder's name as a stranger may see it,
and the per-address rate limit that keeps anyone from walking through numbers or links.

The pages show what an employer needs and no more: the name masked, never an ID number. The address limited is
academy.http.client_ip (RATELIMIT_IP_META_KEY), as for the sign-in limits, so both agree behind a proxy."""
import base64
import io
from functools import wraps

import qrcode
from django.conf import settings
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit
from PIL import Image

# A verification page opened this often a minute from one address is refused (429).
LOOKUPS_PER_MINUTE = "30/m"
# Pixels per module of a QR code: sharp at the printed size without relying on a viewer's scaling.
QR_BOX_PIXELS = 4
QR_MASK_PATTERN = 0  # the checkerboard (i + j) mod 2; see qr_code_image


def site_url() -> str:
    """The platform's public address (SITE_URL in the environment, read into WAGTAILADMIN_BASE_URL)."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def name_mask(name: str) -> str:
    """A holder's name as a public page shows it: 张*明, 张* for two characters, 欧**锋 for four."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def qr_code_image(url: str) -> Image.Image:
    """The QR code of ``url`` in black and white, a quiet zone of two modules around it."""
    # One fixed mask: any of the eight is valid (a reader learns it from the code's format information), and
    # the library's search for the best one lays the code out and scores it eight times, most of its time.
    code = qrcode.QRCode(border=2, mask_pattern=QR_MASK_PATTERN)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    # One pixel per module, then enlarged: much quicker than the library's square-by-square drawing.
    image = Image.frombytes("L", (len(matrix), len(matrix)), bytes(0 if dark else 255 for row in matrix for dark in row))
    return image.resize((image.width * QR_BOX_PIXELS,) * 2, Image.Resampling.NEAREST)


def qr_code_data_uri(url: str) -> str:
    """The QR code of ``url`` as a PNG data: URI, for a PDF template."""
    buffer = io.BytesIO()
    qr_code_image(url).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def rate_limited(*, group: str, rate):
    """Answer 429 (the site's "too many attempts" page) once an address goes past ``rate``; ``rate`` may be a
    function of (group, request) that answers None for requests that do not count."""

    def decorator(view):
        @ratelimit(group=group, key="ip", rate=rate, block=False)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "limited", False):
                return render(request, "429.html", status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
