"""Roles of DESIGN.md and the scope each is assigned over."""

from __future__ import annotations

from django.db import models


class Scope(models.TextChoices):
    PROVINCE = "province", "省"
    COUNTY = "county", "县/区"
    TOWN = "town", "镇"
    VILLAGE = "village", "村"
    FIRM = "firm", "服务机构"


class Role(models.TextChoices):
    PROVINCE_SUPERVISOR = "province_supervisor", "省乡村振兴局（监督）"
    COUNTY_BUREAU = "county_bureau", "县/市乡村振兴局"
    TOWN_ADMIN = "town_admin", "镇农业服务中心（管理员）"
    TOWN_FINANCE = "town_finance", "镇财政/慈善基金会"
    VILLAGE_COORDINATOR = "village_coordinator", "村兼职协管员"
    FIRM_REVIEWER = "firm_reviewer", "第三方服务机构审核员"
    FIRM_MANAGER = "firm_manager", "第三方服务机构负责人"
    MEMBER = "member", "参加互助的村民"
    AUDITOR = "auditor", "纪检监察/财政审计（只读）"


ROLE_SCOPE: dict[str, str] = {
    Role.PROVINCE_SUPERVISOR: Scope.PROVINCE,
    Role.COUNTY_BUREAU: Scope.COUNTY,
    Role.TOWN_ADMIN: Scope.TOWN,
    Role.TOWN_FINANCE: Scope.TOWN,
    Role.VILLAGE_COORDINATOR: Scope.VILLAGE,
    Role.FIRM_REVIEWER: Scope.FIRM,
    Role.FIRM_MANAGER: Scope.FIRM,
    Role.MEMBER: Scope.TOWN,
    Role.AUDITOR: Scope.TOWN,  # granted by the county for a town and a period (RoleAssignment.valid_*)
}
