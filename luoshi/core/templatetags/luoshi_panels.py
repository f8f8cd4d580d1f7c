from django import template

from luoshi.core import panels as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, place, obj):
    """{% panels "task" task %}: what later stages show on this page (core.panels)."""
    return registry.render(place, context["request"], obj)
