"""applyForClaim, updateClaim, uploadClaimDocument, submitClaim, resubmitClaim: the applicant's side (the member
for their household, the village coordinator for their village, the town office)."""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from graphene_file_upload.scalars import Upload

from mutualaid.claims import application
from mutualaid.claims import permissions as perms
from mutualaid.claims.models import Channel
from mutualaid.enrolment.models import Member
from mutualaid.graphql.claims.inputs import ERROR_RENAMES, ClaimInput, claim_data
from mutualaid.graphql.claims.mutations.base import ClaimError, claim_target, town_code, visible_claim
from mutualaid.graphql.claims.types import ClaimDocumentType, ClaimType, DocumentKindEnum
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.core.values import enum_value
from mutualaid.platform.accounts.permissions import Target
from mutualaid.platform.accounts.roles import Role


class ClaimMutation(BaseMutation):
    claim = graphene.Field(ClaimType)

    class Meta:
        abstract = True


class ApplyForClaim(ClaimMutation):
    """为一次住院申请补助（保存为草稿；材料齐全后提交）。成员本人、本村协管员或镇农业服务中心可办理。"""

    class Arguments:
        member_id = graphene.ID(required=True, description="住院的参加成员")
        input = ClaimInput(required=True)

    class Meta:
        permission = perms.APPLY_CLAIM
        error_type = ClaimError
        error_renames = ERROR_RENAMES

    @classmethod
    def _member(cls, info, member_id) -> Member:
        pk = pk_from_global_id(member_id, "Member", "memberId")
        member = Member.objects.select_related("household__village").filter(pk=pk).first()
        if member is None:
            raise NotFound("memberId")
        village = member.household.village.code
        if not perms.can_in(
            info.context.user, perms.APPLY_CLAIM, town_code(info), village, member.household_id
        ):
            raise NotFound("memberId")
        return member

    @classmethod
    def get_target(cls, info, member_id, **data):
        member = cls._member(info, member_id)
        return Target.town(town_code(info), member.household.village.code)

    @classmethod
    def perform_mutation(cls, info, member_id, input):
        member = cls._member(info, member_id)
        user = info.context.user
        channel = Channel.SELF
        if perms.has_role_in(user, town_code(info), Role.VILLAGE_COORDINATOR):
            channel = Channel.VILLAGE
        elif perms.has_role_in(user, town_code(info), Role.TOWN_ADMIN):
            channel = Channel.TOWN
        return cls(claim=application.create_claim(member, claim_data(input), actor=user, channel=channel))


class UpdateClaim(ClaimMutation):
    """修改草稿或需补充材料的申请（只填要改的字段）。"""

    class Arguments:
        id = graphene.ID(required=True)
        input = ClaimInput(required=True)

    class Meta:
        permission = perms.APPLY_CLAIM
        error_type = ClaimError
        error_renames = ERROR_RENAMES

    @classmethod
    def get_target(cls, info, id, **data):
        return claim_target(info, visible_claim(info, id, rule=perms.APPLY_CLAIM))

    @classmethod
    def perform_mutation(cls, info, id, input):
        claim = visible_claim(info, id, rule=perms.APPLY_CLAIM)
        return cls(claim=application.update_claim(claim, claim_data(input), actor=info.context.user))


class UploadClaimDocument(BaseMutation):
    """上传一份申请材料（照片 JPEG/PNG/HEIC 或 PDF；按内容识别类型，照片去除 EXIF/GPS 信息）。GraphQL multipart 上传。"""

    document = graphene.Field(ClaimDocumentType)
    claim = graphene.Field(ClaimType)

    class Arguments:
        claim_id = graphene.ID(required=True)
        kind = graphene.Argument(DocumentKindEnum, required=True)
        file = Upload(required=True, description="multipart 上传的文件")

    class Meta:
        permission = perms.APPLY_CLAIM
        error_type = ClaimError

    @classmethod
    def get_target(cls, info, claim_id, **data):
        return claim_target(info, visible_claim(info, claim_id, "claimId", rule=perms.APPLY_CLAIM))

    @classmethod
    def perform_mutation(cls, info, claim_id, kind, file):
        claim = visible_claim(info, claim_id, "claimId", rule=perms.APPLY_CLAIM)
        if not hasattr(file, "read"):
            raise ValidationError({"file": ValidationError("请以 multipart 方式上传文件", code="required")})
        application.check_document_size(getattr(file, "size", 0) or 0)  # before reading a byte of it
        content = file.read()
        document = application.upload_document(
            claim,
            enum_value(kind),
            content,
            file_name=getattr(file, "name", "") or "",
            actor=info.context.user,
        )
        return cls(document=document, claim=document.claim)


class SubmitClaim(ClaimMutation):
    """提交申请（材料不全的申请不能提交）；审核时限从提交之日起按工作日计算。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.APPLY_CLAIM
        error_type = ClaimError

    @classmethod
    def get_target(cls, info, id, **data):
        return claim_target(info, visible_claim(info, id, rule=perms.APPLY_CLAIM))

    @classmethod
    def perform_mutation(cls, info, id):
        claim = visible_claim(info, id, rule=perms.APPLY_CLAIM)
        return cls(claim=application.submit(claim, actor=info.context.user))


class ResubmitClaim(ClaimMutation):
    """补充材料后重新提交。"""

    class Arguments:
        id = graphene.ID(required=True)
        note = graphene.String(description="补充说明")

    class Meta:
        permission = perms.APPLY_CLAIM
        error_type = ClaimError

    @classmethod
    def get_target(cls, info, id, **data):
        return claim_target(info, visible_claim(info, id, rule=perms.APPLY_CLAIM))

    @classmethod
    def perform_mutation(cls, info, id, note=""):
        claim = visible_claim(info, id, rule=perms.APPLY_CLAIM)
        return cls(claim=application.resubmit(claim, actor=info.context.user, note=note or ""))
