from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Question, QuestionCategory, Video
from .renditions import video_transcode_start


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
    model = Video
    icon = "media"
    menu_label = _("Videos")
    list_display = ["title", "duration_seconds"]
    search_fields = ["title"]


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def transcode_uploaded_video(request, instance):
    """An uploaded or replaced video file gets its renditions for weak networks in the background."""
    if isinstance(instance, Video):
        video_transcode_start(video=instance)


class TrainingContentGroup(SnippetViewSetGroup):
    menu_label = _("Training content")
    menu_icon = "folder-inverse"
    items = (QuestionViewSet, QuestionCategoryViewSet, VideoViewSet)


register_snippet(TrainingContentGroup)
