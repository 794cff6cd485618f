"""Users, their scoped roles, API tokens and login failures (public schema)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from mutualaid.platform.accounts.roles import ROLE_SCOPE, Role, Scope


class User(AbstractUser):
    """A person who signs in. ``is_staff`` marks platform staff (平台运维), who may act in any scope."""

    display_name = models.CharField("姓名", max_length=64, blank=True)
    phone_encrypted = models.TextField("手机号（加密）", blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = "用户"

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleAssignment(models.Model):
    """One role held over one scope. Exactly the scope field the role needs is set."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    province = models.ForeignKey("regions.Province", null=True, blank=True, on_delete=models.CASCADE)
    county = models.ForeignKey("regions.County", null=True, blank=True, on_delete=models.CASCADE)
    town = models.ForeignKey("tenants.Town", null=True, blank=True, on_delete=models.CASCADE)
    village_code = models.CharField("村（12位区划代码）", max_length=12, blank=True)
    firm = models.ForeignKey("tenants.ServiceFirm", null=True, blank=True, on_delete=models.CASCADE)
    # The period a grant holds (an auditor's: 纪检监察/财政审计 for a town and a period); empty: no limit.
    valid_from = models.DateField("授权起始日", null=True, blank=True)
    valid_until = models.DateField("授权截止日", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "角色授权"
        constraints = [
            models.CheckConstraint(
                name="role_assignment_scope_matches_role",
                condition=(
                    Q(role=Role.PROVINCE_SUPERVISOR, province__isnull=False)
                    | Q(role=Role.COUNTY_BUREAU, county__isnull=False)
                    | Q(
                        role__in=[Role.TOWN_ADMIN, Role.TOWN_FINANCE, Role.MEMBER, Role.AUDITOR],
                        town__isnull=False,
                    )
                    | (Q(role=Role.VILLAGE_COORDINATOR, town__isnull=False) & ~Q(village_code=""))
                    | Q(role__in=[Role.FIRM_REVIEWER, Role.FIRM_MANAGER], firm__isnull=False)
                ),
            )
        ]

    @property
    def scope(self) -> str:
        return ROLE_SCOPE[self.role]

    def scope_name(self) -> str:
        scope = self.scope
        if scope == Scope.PROVINCE:
            return str(self.province)
        if scope == Scope.COUNTY:
            return str(self.county)
        if scope == Scope.FIRM:
            return str(self.firm)
        if scope == Scope.VILLAGE:
            return f"{self.town} {self.village_code}"
        return str(self.town)


class ApiToken(models.Model):
    """An opaque bearer token; only its SHA-256 is stored."""

    class Kind(models.TextChoices):
        ACCESS = "access", "访问令牌"
        REFRESH = "refresh", "刷新令牌"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The access and refresh token issued together share ``pair``; every token descended from one sign-in by
    # refreshing shares ``family`` (reusing a rotated refresh token revokes the family); ``rotated_at`` marks a
    # refresh token spent on a refresh.
    pair = models.UUIDField(null=True, blank=True, db_index=True)
    family = models.UUIDField(null=True, blank=True, db_index=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API 令牌"


class OneTimeCode(models.Model):
    """A code sent by SMS: to accept an invitation (set the first password) or to reset a password.

    Only a keyed hash of the code is stored; a code works once, until it expires, and for a few attempts.
    """

    class Purpose(models.TextChoices):
        INVITATION = "invitation", "邀请"
        PASSWORD_RESET = "password_reset", "重设密码"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="one_time_codes")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "短信验证码"
        indexes = [models.Index(fields=["user", "purpose"], name="one_time_code_user_purpose")]


class LoginFailure(models.Model):
    """A failed sign-in, counted to throttle password guessing."""

    username = models.CharField(max_length=150, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
