"""Sign in with WeChat, and reminders as the 公众号's template messages.

allauth's ``weixin`` provider, fitted (``provider``, ``views``): WeChat's addresses come from the settings, so the
tests' fake WeChat can stand in; inside WeChat's browser the 公众号's OAuth page is used, on a PC the website
application's QR code. ``binding`` ties a WeChat identity to a roster account once, after a sign-in code;
``official_account`` sends the catalogue's messages as template messages.
"""
