"""Blocks of lesson pages: the shared BaseStreamBlock plus video and an inline knowledge check."""
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from academy.home.blocks import BaseStreamBlock


class VideoChooserBlock(SnippetChooserBlock):
    """The video snippet with its renditions, read in one query for all the videos of a page."""

    def bulk_to_python(self, values):
        videos = super().bulk_to_python(values)
        prefetch_related_objects([video for video in videos if video is not None], "renditions")
        return videos


class VideoBlock(blocks.StructBlock):
    video = VideoChooserBlock("courses.Video", label=_("video"))
    caption = blocks.CharBlock(label=_("caption"), required=False)

    class Meta:
        icon = "media"
        label = _("Video")
        template = "blocks/video_block.html"


class KnowledgeCheckOption(blocks.StructBlock):
    text = blocks.CharBlock(label=_("option"))
    is_correct = blocks.BooleanBlock(label=_("correct"), required=False)


class KnowledgeCheckBlock(blocks.StructBlock):
    """A practice question inside a lesson. The page never carries the answer: the browser asks the server,
    which replies right or wrong with the explanation."""

    question = blocks.CharBlock(label=_("question"))
    options = blocks.ListBlock(KnowledgeCheckOption(), label=_("options"), min_num=2)
    explanation = blocks.TextBlock(label=_("explanation"), required=False)

    class Meta:
        icon = "help"
        label = _("Knowledge check")
        template = "blocks/knowledge_check_block.html"


class LessonStreamBlock(BaseStreamBlock):
    video = VideoBlock()
    knowledge_check = KnowledgeCheckBlock()
