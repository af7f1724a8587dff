from django.contrib.admin.utils import quote
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSetGroup

from academy.cms import SnippetViewSet

from .models import Question, QuestionCategory, Video
from .renditions import video_transcode_latest, video_transcode_start
from .views.transcoding import (
    TRANSCODING_URL_NAME, TranscodingColumn, TranscodingPanel, VideoTranscodingView, video_transcode_again_offered,
)


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = _("Questions")
    list_display = ["text", "category", "kind"]
    list_filter = ["category", "kind"]
    search_fields = ["text"]


class QuestionCategoryViewSet(SnippetViewSet):
    model = QuestionCategory
    icon = "folder-open-inverse"
    menu_label = _("Question categories")
    list_display = ["name", "description"]


class VideoViewSet(SnippetViewSet):
    """The videos, each with its transcoding (views/transcoding.py): a column of the listing, a panel of the edit
    view, and a page of its own where a failed job is run again."""

    model = Video
    icon = "media"
    menu_label = _("Videos")
    list_display = ["title", "duration_seconds", TranscodingColumn("transcoding", label=_("Transcoding"))]
    search_fields = ["title"]
    panels = [*Video.panels, TranscodingPanel(heading=_("Transcoding"))]

    def get_queryset(self, request):
        # Each row shows its latest job and renditions, and offers "重新转码" from the job: read for the whole page.
        return Video.objects.prefetch_related("transcode_jobs", "renditions")

    @property
    def transcoding_view(self):
        return self.construct_view(VideoTranscodingView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(f"transcoding/<{self.pk_path_converter}:pk>/", self.transcoding_view, name="transcoding"),
        ]


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def transcode_uploaded_video(request, instance):
    """An uploaded or replaced video file gets its renditions for weak networks in the background."""
    if isinstance(instance, Video):
        video_transcode_start(video=instance)


@hooks.register("register_snippet_listing_buttons")
def video_transcode_again_button(snippet, user, next_url=None):
    """A video whose transcoding failed or was interrupted: "transcode again", to those who may edit it."""
    if isinstance(snippet, Video) and video_transcode_again_offered(video_transcode_latest(snippet), user):
        url = reverse(TRANSCODING_URL_NAME, args=[quote(snippet.pk)])
        yield MenuItem(_("Transcode again"), url, icon_name="resubmit", priority=50)


class TrainingContentGroup(SnippetViewSetGroup):
    menu_label = _("Training content")
    menu_icon = "folder-inverse"
    items = (QuestionViewSet, QuestionCategoryViewSet, VideoViewSet)


register_snippet(TrainingContentGroup)
