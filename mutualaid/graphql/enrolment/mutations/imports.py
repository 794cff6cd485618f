"""importRoster: upload a roster file for a background import."""

from __future__ import annotations

import base64
import binascii

import graphene
from django.core.exceptions import ValidationError

from mutualaid.enrolment import actions
from mutualaid.enrolment import permissions as perms
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.enrolment.context import current_user, town_code, village_or_404
from mutualaid.graphql.enrolment.mutations.base import EnrolmentError
from mutualaid.graphql.enrolment.types import RosterImportJobType


class ImportRoster(BaseMutation):
    """上传花名册（.xlsx/.csv，base64），后台导入；用 rosterImportJob 查看进度、结果与错误报告。"""

    job = graphene.Field(RosterImportJobType)

    class Arguments:
        file_name = graphene.String(required=True)
        content_base64 = graphene.String(required=True)
        village_code = graphene.String(description="只导入该村（村协管员必填）")

    class Meta:
        permission = perms.IMPORT_ROSTER
        error_type = EnrolmentError

    @classmethod
    def get_target(cls, info, village_code=None, **data):
        if village_code:
            return perms.village(town_code(info), village_or_404(village_code).code)
        return perms.whole_town(town_code(info))

    @classmethod
    def perform_mutation(cls, info, file_name, content_base64, village_code=None):
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                {"content_base64": ValidationError("文件内容不是有效的 base64", code="unsupported_file_type")}
            ) from exc
        job = actions.submit_roster_import(
            file_name, content, village_code=village_code, actor=current_user(info)
        )
        return cls(job=job)
