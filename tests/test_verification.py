import pytest
from PIL import Image

from academy.verification import QR_BOX_PIXELS, name_mask, qr_code_image


@pytest.mark.parametrize("name, masked", [
    ("张晓明", "张*明"), ("张明", "张*"), ("欧阳晓明", "欧**明"), ("张", "张"), ("", ""),
])
def test_name_mask(name, masked):
    assert name_mask(name) == masked


def test_the_qr_code_is_black_on_white_with_whole_modules():
    image = qr_code_image("https://train.example.gov.cn/verify/transcripts/abc/")
    assert image.mode == "L" and image.width == image.height and image.width % QR_BOX_PIXELS == 0
    assert set(image.getdata()) == {0, 255}
    assert image.getpixel((0, 0)) == 255  # the quiet zone
    assert isinstance(image, Image.Image)


@pytest.mark.parametrize("urls", [
    [f"https://train.example.gov.cn/certificates/S000133000001264{serial:06d}/" for serial in range(1, 61)],
    # Longer addresses: larger versions, with version information from 7 on.
    [f"https://train.example.gov.cn/verify/transcripts/{'a' * length}/" for length in range(0, 200, 11)],
])
def test_the_qr_code_with_its_one_mask_reads_back_as_its_address(urls):
    zxingcpp = pytest.importorskip("zxingcpp", reason="!!! zxing-cpp is not installed: the QR code is not scanned !!!")
    for url in urls:
        assert [code.text for code in zxingcpp.read_barcodes(qr_code_image(url))] == [url]
