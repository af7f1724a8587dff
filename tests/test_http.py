"""academy.http: telling WeChat's browser apart, and the one Content-Disposition of a download."""
from django.test import RequestFactory

from academy.http import browser, download_disposition, is_wechat
from tests.user_agents import CHROME_ANDROID, WECHAT_ANDROID

def test_wechat_is_told_by_micromessenger_in_the_user_agent():
    factory = RequestFactory()
    assert is_wechat(factory.get("/", HTTP_USER_AGENT=WECHAT_ANDROID))
    assert not is_wechat(factory.get("/", HTTP_USER_AGENT=CHROME_ANDROID))
    assert not is_wechat(factory.get("/"))
    assert browser(factory.get("/", HTTP_USER_AGENT=WECHAT_ANDROID)) == {"in_wechat": True}


def test_a_download_is_an_attachment_named_in_chinese_with_an_ascii_fallback():
    header = download_disposition("学时证明-2026.pdf", fallback="transcript-2026.pdf")
    assert header == (
        "attachment; filename=\"transcript-2026.pdf\"; "
        "filename*=UTF-8''%E5%AD%A6%E6%97%B6%E8%AF%81%E6%98%8E-2026.pdf"
    )


def test_an_image_shown_in_a_page_is_inline_and_the_fallback_is_made_safe():
    header = download_disposition('证书 "S1".png', as_attachment=False)
    # No quote or non-ASCII character can break out of the quoted fallback.
    assert header == "inline; filename=\" S1.png\"; filename*=UTF-8''%E8%AF%81%E4%B9%A6%20%22S1%22.png"
