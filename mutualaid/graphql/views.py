"""GraphQL views: deferred execution for sync DataLoaders; the town view only serves a routed town."""

from __future__ import annotations

from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphene_django.views import GraphQLView

from mutualaid.graphql.api import platform_schema, town_schema
from mutualaid.graphql.core.execution import BatchingExecutionContext


@method_decorator(csrf_exempt, name="dispatch")
class PlatformGraphQLView(GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", platform_schema)
        kwargs.setdefault("execution_context_class", BatchingExecutionContext)
        super().__init__(**kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class TownGraphQLView(GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", town_schema)
        kwargs.setdefault("execution_context_class", BatchingExecutionContext)
        super().__init__(**kwargs)

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise Http404("not a town")
        return super().dispatch(request, *args, **kwargs)
