from django import template

from academy.organisation.permissions import is_administrator
from academy.organisation.scope import scope_for
from courses.years import training_year

from ..views import headline_cards

register = template.Library()


@register.inclusion_tag("analytics/includes/headline_cards.html", takes_context=True)
def coverage_headline(context):
    """The year's three headline rates ("x% / 100%") of the signed-in administrator's scope."""
    user = context["request"].user
    if not is_administrator(user):
        return {"headline": []}
    year = training_year()
    return {"headline": headline_cards(scope=scope_for(user), year=year), "year": year}
