"""Inputs of the account mutations."""

from __future__ import annotations

import graphene

from mutualaid.graphql.account.types import RoleEnum


class UserInviteInput(graphene.InputObjectType):
    phone = graphene.String(required=True, description="被邀请人手机号；验证码以短信发送")
    role = graphene.InputField(RoleEnum, required=True)
    town_code = graphene.String(description="镇级与村级角色的乡镇；乡镇接口中默认为当前乡镇")
    village_code = graphene.String(description="村兼职协管员的村（12 位村级区划代码，须为本镇已建档的村）")
    county_code = graphene.String(description="县/市乡村振兴局角色的县（6 位区划代码）")
    province_code = graphene.String(description="省级监督角色的省（2 位区划代码）")
    firm_id = graphene.ID(description="服务机构角色的机构")
    display_name = graphene.String(description="姓名")
    username = graphene.String(description="新账号的用户名；默认按角色与范围生成，如 finance_<镇代码>")
    valid_from = graphene.Date(description="授权起始日（仅纪检监察/财政审计；默认今天，最早一个月前）")
    valid_until = graphene.Date(description="授权截止日（纪检监察/财政审计必填，不早于起始日，期限最长三年）")
