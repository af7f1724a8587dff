from django.urls import path

from . import views

app_name = "accounts"

# The page at me/ itself (accounts:home) shows posts and scope: organisation's view, added by academy.urls.
urlpatterns = [
    path("password/new/", views.new_password, name="new_password"),
    path("mobile/", views.mobile_change, name="mobile_change"),
    path("mobile/code/", views.mobile_change_code, name="mobile_change_code"),
    path("mobile/decline/", views.mobile_change_decline, name="mobile_change_decline"),
    path("wechat/bind/", views.wechat_bind, name="wechat_bind"),
    path("wechat/unbind/", views.wechat_unbind_view, name="wechat_unbind"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
]
