"""A lesson video's transcoding in the CMS (renditions.py), where editors see the video: a column of the videos'
listing, a panel of its edit view and a page of its own, which shows the latest job (waiting, running, done with
the renditions, or failed and why) and, to those who may edit the video, runs a failed job again. The snippet
viewset (wagtail_hooks.py) puts them in place."""
from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permissions import policy_registry

from ..models import Video, VideoQuality, VideoTranscodeJob
from ..renditions import video_renditions_made, video_transcode_latest, video_transcode_retry, video_transcode_retryable

TRANSCODING_URL_NAME = "wagtailsnippets_courses_video:transcoding"


def video_may_retranscode(user) -> bool:
    """Those who may edit the videos (the CMS's policy for them, which the view checks too) may run their
    transcoding again."""
    return policy_registry.get_by_type(Video).user_has_permission(user, "change")


def video_transcode_again_offered(job: VideoTranscodeJob | None, user) -> bool:
    """重新转码 is offered: the job may run again (renditions.py) and the user may edit the video."""
    return video_transcode_retryable(job) and video_may_retranscode(user)


def video_transcoding_context(video: Video, user) -> dict:
    """What every view of a video's transcoding shows."""
    job = video_transcode_latest(video)
    made = video_renditions_made(video)
    return {
        "video": video,
        "job": job,
        "renditions": [made[quality] for quality in VideoQuality if quality in made],
        "retryable": video_transcode_again_offered(job, user),
        "transcoding_url": reverse(TRANSCODING_URL_NAME, args=[quote(video.pk)]),
    }


class TranscodingColumn(Column):
    """The listing's column: the state of the latest job, and why it failed."""

    cell_template_name = "courses/admin/transcoding_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context.update(video_transcoding_context(instance, parent_context["request"].user))
        return context


class TranscodingPanel(Panel):
    """The edit view's panel (not on the create view: a video not yet saved has no job)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "courses/admin/transcoding_panel.html"

        def is_shown(self):
            return self.instance.pk is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context.update(video_transcoding_context(self.instance, self.request.user))
            return context


class VideoTranscodingView(PermissionCheckedMixin, BaseObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """The video's transcoding; POST runs its failed job again (the same job: it makes only what is missing).
    Only for those who may edit the video (video_may_retranscode): others are refused (PermissionDenied)."""

    model = Video
    permission_required = "change"
    template_name = "courses/admin/video_transcoding.html"
    page_title = _("Transcoding")
    index_url_name = None
    edit_url_name = None

    def get_page_subtitle(self):
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": Video._meta.verbose_name_plural.capitalize()},
            {"url": reverse(self.edit_url_name, args=[quote(self.object.pk)]), "label": str(self.object)},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **video_transcoding_context(self.object, self.request.user)}

    def post(self, request, *args, **kwargs):
        job = video_transcode_latest(self.object)
        if job is not None and video_transcode_retry(job=job):
            messages.success(request, gettext("“%(title)s” is transcoded again: only what is still missing is made.")
                             % {"title": self.object})
        else:
            messages.warning(request, gettext(
                "Only a failed or interrupted transcoding can be started again, and this one is not (it may have been "
                "started again already)."
            ))
        return redirect(TRANSCODING_URL_NAME, quote(self.object.pk))
