"""Django's `{% cache %}` tag that renders the fragment anyway when the cache is down.

`{% load fragment_cache %}` then `{% cache 600 name var… %}…{% endcache %}` as in Django's
docs. The app's other cache users (the TMDB client, the image cache) treat the cache as
a saving, not a need; a page with a cached fragment must not fail with Redis away either.
"""

from __future__ import annotations

import logging

from django import template
from django.template import Context, TemplateSyntaxError
from django.template.base import Parser, Token
from django.templatetags.cache import CacheNode, do_cache

log = logging.getLogger(__name__)

register = template.Library()


class ForgivingCacheNode(CacheNode):
    """A cached fragment that is rendered afresh when the cache cannot be read or written."""

    def render(self, context: Context) -> str:
        try:
            return super().render(context)
        except TemplateSyntaxError:
            raise  # a mistake in the template, not the cache
        except Exception as exc:  # each cache backend raises its own errors
            # A bug inside the fragment raises again from this second render, as it should.
            log.warning("Fragment %s rendered without the cache: %s", self.fragment_name, exc)
            return self.nodelist.render(context)


@register.tag("cache")
def forgiving_cache(parser: Parser, token: Token) -> ForgivingCacheNode:
    """Parse `{% cache %}` as Django does, into a node that forgives a dead cache."""
    node = do_cache(parser, token)
    return ForgivingCacheNode(
        node.nodelist, node.expire_time_var, node.fragment_name, node.vary_on, node.cache_name
    )
