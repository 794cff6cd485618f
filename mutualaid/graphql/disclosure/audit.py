"""The town's searchable audit log (who, what, when, which object) for the town admin and the county's auditors
(纪检监察/财政审计: read-only access to the ledger, claims with documents and decisions, and payout batches through
their own queries, each personal-data read audited there). Every search is itself written to the audit log."""

from __future__ import annotations

import graphene

from mutualaid.disclosure import permissions as perms
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent

MAX_ROWS = 500


class AuditEventType(graphene.ObjectType):
    at = graphene.DateTime(required=True)
    actor = graphene.String(required=True, description="操作人用户名（系统为空）")
    action = graphene.String(required=True)
    object_type = graphene.String(required=True)
    object_id = graphene.String(required=True)
    data = graphene.JSONString(required=True, description="事件内容（不含未脱敏的个人信息）")

    def resolve_actor(root: AuditEvent, info):
        return root.actor_username


class AuditLogQueries(graphene.ObjectType):
    audit_log = graphene.List(
        graphene.NonNull(AuditEventType),
        required=True,
        actor=graphene.String(description="操作人用户名"),
        action=graphene.String(description="操作（前缀匹配，如 claims. 或 funds.）"),
        object_type=graphene.String(),
        object_id=graphene.String(),
        since=graphene.Date(),
        until=graphene.Date(),
        limit=graphene.Int(description=f"最多返回条数（不超过 {MAX_ROWS}）"),
        description="本镇审计日志查询（新的在前）",
    )

    @permission_required(perms.READ_AUDIT_LOG)
    def resolve_audit_log(
        root,
        info,
        actor=None,
        action=None,
        object_type=None,
        object_id=None,
        since=None,
        until=None,
        limit=None,
    ):
        events = AuditEvent.objects.all()
        if actor:
            events = events.filter(actor_username=actor)
        if action:
            events = events.filter(action__startswith=action)
        if object_type:
            events = events.filter(object_type=object_type)
        if object_id:
            events = events.filter(object_id=object_id)
        if since:
            events = events.filter(at__date__gte=since)
        if until:
            events = events.filter(at__date__lte=until)
        rows = list(events.order_by("-at", "-id")[: max(1, min(limit or 100, MAX_ROWS))])
        filters = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id}
        record_event(
            info.context.user,
            "audit.log_searched",
            None,
            {
                **{k: v for k, v in filters.items() if v},
                "since": str(since or ""),
                "until": str(until or ""),
                "rows": len(rows),
            },
        )
        return rows
