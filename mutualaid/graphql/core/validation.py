"""Limits on what one request may ask for, as graphql-core validation rules (checked before execution).

- depth: fields nested deeper than ``GRAPHQL_MAX_DEPTH`` (``QUERY_TOO_DEEP``);
- aliases: more than ``GRAPHQL_MAX_ALIASES`` aliased fields in an operation (``TOO_MANY_ALIASES``): 300 aliases
  of one expensive field are 300 executions of it;
- cost: an estimate above ``GRAPHQL_MAX_COST`` (``QUERY_TOO_COSTLY``). Each field costs 1 times the number of
  times it will run: a connection's edges run ``first``/``last`` times (the page limit when absent or a
  variable), any other list ``LIST_FACTOR`` times.

Introspection (``__schema``, ``__type``) is not counted. Fragments are followed where they are spread.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from graphene_django.settings import graphene_settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    get_named_type,
    get_nullable_type,
)

LIST_FACTOR = 10


def max_depth() -> int:
    return int(getattr(settings, "GRAPHQL_MAX_DEPTH", 10))


def max_aliases() -> int:
    return int(getattr(settings, "GRAPHQL_MAX_ALIASES", 30))


def max_cost() -> int:
    return int(getattr(settings, "GRAPHQL_MAX_COST", 20000))


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def _page_size(field: FieldNode) -> int:
    limit = graphene_settings.RELAY_CONNECTION_MAX_LIMIT or 100
    sizes = [
        int(arg.value.value)
        for arg in field.arguments or ()
        if arg.name.value in ("first", "last") and isinstance(arg.value, IntValueNode)
    ]
    return max(0, min(min(sizes), limit)) if sizes else limit


def _is_connection(type_) -> bool:
    return (
        isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "edges" in type_.fields
    )


class _Walker:
    def __init__(self, context):
        self.schema = context.schema
        self.fragments = {
            f.name.value: f for f in context.document.definitions if hasattr(f, "type_condition")
        }

    def operation(self, node: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(node.operation)
        measure = Measure()
        if root is not None:
            self._selections(node.selection_set, root, 1, 1, None, measure, frozenset())
        return measure

    def _selections(self, selection_set: SelectionSetNode, parent, depth, times, page, measure, spread):
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, depth, times, page, measure, spread)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                parent_type = self.schema.get_type(condition.name.value) if condition else parent
                self._selections(selection.selection_set, parent_type, depth, times, page, measure, spread)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in spread:
                    continue  # unknown or cyclic: other rules report it
                parent_type = self.schema.get_type(fragment.type_condition.name.value)
                self._selections(
                    fragment.selection_set, parent_type, depth, times, page, measure, spread | {name}
                )

    def _field(self, node: FieldNode, parent, depth, times, page, measure, spread):
        name = node.name.value
        if name.startswith("__"):
            return
        if node.alias is not None:
            measure.aliases += 1
        measure.depth = max(measure.depth, depth)
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        field_type = get_nullable_type(definition.type) if definition is not None else None
        if isinstance(field_type, GraphQLList):
            times *= page if (name == "edges" and page) else LIST_FACTOR
        measure.cost += times
        if node.selection_set is None or definition is None:
            return
        named = get_named_type(definition.type)
        child_page = _page_size(node) if _is_connection(named) else None
        self._selections(node.selection_set, named, depth + 1, times, child_page, measure, spread)


def _measure(context, node: OperationDefinitionNode) -> Measure:
    cache = context.__dict__.setdefault("_mutualaid_measures", {})
    if id(node) not in cache:
        cache[id(node)] = _Walker(context).operation(node)
    return cache[id(node)]


class DepthLimitRule(ValidationRule):
    def enter_operation_definition(self, node, *_args):
        depth, limit = _measure(self.context, node).depth, max_depth()
        if depth > limit:
            self.report_error(
                GraphQLError(
                    f"查询嵌套过深：{depth} 层，最多 {limit} 层", node, extensions={"code": "QUERY_TOO_DEEP"}
                )
            )


class AliasLimitRule(ValidationRule):
    def enter_operation_definition(self, node, *_args):
        aliases, limit = _measure(self.context, node).aliases, max_aliases()
        if aliases > limit:
            self.report_error(
                GraphQLError(
                    f"别名过多：{aliases} 个，最多 {limit} 个", node, extensions={"code": "TOO_MANY_ALIASES"}
                )
            )


class CostLimitRule(ValidationRule):
    def enter_operation_definition(self, node, *_args):
        cost, limit = _measure(self.context, node).cost, max_cost()
        if cost > limit:
            self.report_error(
                GraphQLError(
                    f"查询过于庞大：估算代价 {cost}，上限 {limit}；请减少字段、别名或每页条数",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )
            )


LIMIT_RULES = (DepthLimitRule, AliasLimitRule, CostLimitRule)
