"""People and their roles: invitations by SMS code, deactivation, removing a role; passwords (change your own,
reset by SMS code). Every change is audited in the public schema, where users and roles live.

Who may do what is decided by the callers through ``permissions.py`` (GRANT_ROLE, can_manage_user); these
functions check the data only: phone numbers, scopes, codes and passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutualaid.platform import crypto
from mutualaid.platform.accounts.actions import revoke_all_tokens
from mutualaid.platform.accounts.error_codes import AccountErrorCode
from mutualaid.platform.accounts.models import OneTimeCode, RoleAssignment, User
from mutualaid.platform.accounts.roles import ROLE_SCOPE, Role, Scope
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.schemas import tenant_connection
from mutualaid.platform.sms import send_sms
from mutualaid.platform.validators import normalise_mobile

logger = logging.getLogger(__name__)

INVITATION_CODE_TTL = timedelta(days=3)
RESET_CODE_TTL = timedelta(minutes=10)
CODE_MAX_ATTEMPTS = 5
RESET_CODES_PER_HOUR = 5
SMS_SIGNATURE = "【乡村公益医疗互助】"

# The scope field each scope needs (and the only one it may have).
_SCOPE_FIELDS: dict[str, str] = {
    Scope.PROVINCE: "province",
    Scope.COUNTY: "county",
    Scope.TOWN: "town",
    Scope.VILLAGE: "town",
    Scope.FIRM: "firm",
}
_USERNAME_PREFIX: dict[str, str] = {
    Role.PROVINCE_SUPERVISOR: "province",
    Role.COUNTY_BUREAU: "county",
    Role.TOWN_ADMIN: "admin",
    Role.TOWN_FINANCE: "finance",
    Role.VILLAGE_COORDINATOR: "coord",
    Role.FIRM_MANAGER: "firm",
    Role.FIRM_REVIEWER: "reviewer",
    Role.MEMBER: "member",
    Role.AUDITOR: "auditor",
}
_USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")


def _send_on_commit(phone: str, text: str) -> None:
    """Send once the change is committed. A gateway failure is logged, not raised: the change stands, and the
    message can be asked for again (invite again, request another reset code)."""

    def send() -> None:
        try:
            send_sms(phone, text)
        except Exception:
            logger.exception("sending an account SMS failed")

    transaction.on_commit(send)


def _error(field: str | None, message: str, code: AccountErrorCode) -> ValidationError:
    error = ValidationError(message, code=code.value)
    return ValidationError({field: error}) if field else error


def audit(actor, action: str, obj, data: dict | None = None) -> None:
    """Record an account event in the public schema, whichever schema the request runs in."""
    conn = tenant_connection()
    previous = conn.tenant
    if conn.schema_name == "public":
        record_event(actor, action, obj, data)
        return
    conn.set_schema_to_public()
    try:
        record_event(actor, action, obj, data)
    finally:
        conn.set_tenant(previous)


# --- phone numbers ---------------------------------------------------------------------------------------------
def set_phone(user: User, phone: str) -> None:
    user.phone_encrypted = crypto.encrypt(phone)
    user.phone_hash = crypto.lookup_hash(phone)


def user_by_phone(phone: str) -> User | None:
    """The account a mobile number belongs to (a number identifies one account)."""
    return User.objects.filter(phone_hash=crypto.lookup_hash(phone)).order_by("pk").first()


def phone_of(user: User) -> str:
    return crypto.decrypt(user.phone_encrypted) if user.phone_encrypted else ""


# --- one-time codes --------------------------------------------------------------------------------------------
def _code_hash(purpose: str, user_id: int, code: str) -> str:
    message = f"{purpose}:{user_id}:{code}".encode()
    return hmac.new(str(settings.SECRET_KEY).encode(), message, hashlib.sha256).hexdigest()


def issue_code(user: User, purpose: str, ttl: timedelta) -> str:
    """A new six-digit code for ``purpose``; earlier unused ones of the same purpose stop working."""
    now = timezone.now()
    OneTimeCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    OneTimeCode.objects.create(
        user=user, purpose=purpose, code_hash=_code_hash(purpose, user.pk, code), expires_at=now + ttl
    )
    return code


def _redeem(phone: str, code: str, purpose: str) -> User:
    """Use up the live code of ``purpose`` sent to ``phone``. A wrong code counts an attempt (committed even though
    the caller fails), and after CODE_MAX_ATTEMPTS the code is dead. Call outside any transaction."""
    invalid = _error("code", "验证码错误或已失效，请重新获取", AccountErrorCode.INVALID_CODE)
    try:
        phone = normalise_mobile(phone)
    except ValidationError:
        raise invalid from None
    user = user_by_phone(phone)
    if user is None or not user.is_active:
        raise invalid
    with transaction.atomic():
        live = (
            OneTimeCode.objects.select_for_update()
            .filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now())
            .order_by("-created_at", "-pk")
            .first()
        )
        if live is None:
            raise invalid
        if live.attempts >= CODE_MAX_ATTEMPTS:
            raise _error("code", "验证码输错次数过多，请重新获取", AccountErrorCode.TOO_MANY_ATTEMPTS)
        if not hmac.compare_digest(live.code_hash, _code_hash(purpose, user.pk, (code or "").strip())):
            live.attempts += 1
            live.save(update_fields=["attempts"])
            wrong = True
        else:
            live.used_at = timezone.now()
            live.save(update_fields=["used_at"])
            wrong = False
    if wrong:
        raise invalid
    return user


def _check_password(password: str, user: User | None, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise _error(field, "；".join(exc.messages), AccountErrorCode.WEAK_PASSWORD) from None


# --- invitations -----------------------------------------------------------------------------------------------
def check_scope(role: str, scope: dict) -> dict:
    """The scope fields ``role`` needs, exactly: e.g. a village coordinator a town and a village of that town."""
    needed = _SCOPE_FIELDS[ROLE_SCOPE[role]]
    scope = {k: v for k, v in scope.items() if v not in (None, "")}
    if scope.get(needed) is None:
        field = "village_code" if ROLE_SCOPE[role] == Scope.VILLAGE and "town" in scope else needed
        raise _error(
            field, f"{Role(role).label}需指定{Scope(ROLE_SCOPE[role]).label}", AccountErrorCode.INVALID_SCOPE
        )
    if ROLE_SCOPE[role] == Scope.VILLAGE:
        village = scope.get("village_code", "")
        if not (re.fullmatch(r"\d{12}", village or "") and village.startswith(scope["town"].code)):
            raise _error(
                "village_code", "请指定本镇的村（12 位村级区划代码）", AccountErrorCode.INVALID_SCOPE
            )
        return {"town": scope["town"], "village_code": village}
    return {needed: scope[needed]}


# Roles granted for a period (RoleAssignment.valid_from / valid_until): the county's auditors, for a town.
PERIOD_ROLES = frozenset({Role.AUDITOR})
PERIOD_START_MAX_PAST = timedelta(days=31)  # a period may start at most a month back (a grant dated late)
PERIOD_MAX = timedelta(days=3 * 366)  # and hold at most three years (granted again after)


def check_period(
    role: str, valid_from: date | None, valid_until: date | None
) -> tuple[date | None, date | None]:
    """The grant's period: an auditor's needs its last day (from today unless given); other roles hold no period.
    The first day at most a month back, the last not before the first nor past, three years at most."""
    if role not in PERIOD_ROLES:
        if valid_from is not None or valid_until is not None:
            raise _error(
                "valid_from" if valid_from is not None else "valid_until",
                f"{Role(role).label}不设授权期限（只有纪检监察/财政审计按期限授权）",
                AccountErrorCode.PERIOD_NOT_ALLOWED,
            )
        return None, None
    today = timezone.localdate()
    if valid_until is None:
        raise _error("valid_until", f"请填写{Role(role).label}的授权截止日", AccountErrorCode.PERIOD_REQUIRED)
    valid_from = valid_from or today
    if valid_from < today - PERIOD_START_MAX_PAST:
        raise _error(
            "valid_from",
            f"授权起始日 {valid_from.isoformat()} 过早（最早为 {(today - PERIOD_START_MAX_PAST).isoformat()}）",
            AccountErrorCode.INVALID_DATE,
        )
    if valid_until < valid_from:
        raise _error(
            "valid_until",
            f"授权截止日 {valid_until.isoformat()} 早于起始日 {valid_from.isoformat()}",
            AccountErrorCode.PERIOD_REVERSED,
        )
    if valid_until < today:
        raise _error(
            "valid_until", f"授权截止日 {valid_until.isoformat()} 已过", AccountErrorCode.INVALID_DATE
        )
    if valid_until - valid_from > PERIOD_MAX:
        raise _error("valid_until", "授权期限最长三年，到期后可再次授权", AccountErrorCode.INVALID_DATE)
    return valid_from, valid_until


def _period_text(valid_from: date | None, valid_until: date | None) -> str:
    if valid_until is None:
        return ""
    return f"（授权期限 {valid_from.isoformat() if valid_from else ''} 至 {valid_until.isoformat()}）"


def _scope_text(role: str, scope: dict) -> str:
    if "village_code" in scope:
        return f"{scope['town']}（村 {scope['village_code']}）"
    return str(next(iter(scope.values())))


def _free_username(role: str, scope: dict) -> str:
    target = scope.get("village_code") or next(iter(scope.values()))
    code = getattr(target, "code", None) or getattr(target, "pk", target)
    base = f"{_USERNAME_PREFIX[role]}_{code}"
    taken = set(User.objects.filter(username__startswith=base).values_list("username", flat=True))
    if base not in taken:
        return base
    return next(f"{base}_{n}" for n in range(2, len(taken) + 3) if f"{base}_{n}" not in taken)


@transaction.atomic
def invite(
    phone: str,
    role: str,
    *,
    actor: User | None,
    display_name: str = "",
    username: str = "",
    send: bool = True,
    valid_from: date | None = None,
    valid_until: date | None = None,
    **scope,
) -> RoleAssignment:
    """Give ``role`` over ``scope`` to the person with ``phone``. A new person gets an account without a password
    and an SMS code to set one (``accept_invitation``); someone already invited but not yet signed up gets a new
    code; a person with an account gets the role and an SMS saying so. An auditor's grant holds for a period
    (``valid_from`` – ``valid_until``, see ``check_period``); a grant renewed for a new period replaces the old
    one's."""
    scope = check_scope(role, scope)
    valid_from, valid_until = check_period(role, valid_from, valid_until)
    phone = normalise_mobile(phone, code=AccountErrorCode.INVALID_PHONE.value)
    user = user_by_phone(phone)
    if user is None:
        username = (username or "").strip() or _free_username(role, scope)
        if not _USERNAME.match(username):
            raise _error("username", "用户名应为 3 位以上字母、数字或 _ . @ + -", AccountErrorCode.INVALID)
        if User.objects.filter(username=username).exists():
            raise _error("username", "用户名已存在", AccountErrorCode.USERNAME_TAKEN)
        user = User(username=username, display_name=(display_name or "").strip())
        user.set_unusable_password()
        set_phone(user, phone)
        user.save()
        audit(actor, "user.invite", user, {"username": username})
    elif not user.is_active:
        raise _error("phone", "该手机号的账号已停用", AccountErrorCode.USER_INACTIVE)
    period = {"valid_from": valid_from, "valid_until": valid_until}
    assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, **scope, defaults=period)
    pending = not user.has_usable_password()
    renewed = (
        not created
        and role in PERIOD_ROLES
        and ((assignment.valid_from, assignment.valid_until) != (valid_from, valid_until))
    )
    if not created and not pending and not renewed:
        raise _error(
            "role",
            f"{user.username} 已是{_scope_text(role, scope)}{Role(role).label}",
            AccountErrorCode.ALREADY_GRANTED,
        )
    period_data = {k: v.isoformat() for k, v in period.items() if v is not None}
    if created:
        audit(
            actor, "role.assign", user, {"role": role, **{k: str(v) for k, v in scope.items()}, **period_data}
        )
    elif renewed:
        before = {"from": str(assignment.valid_from or ""), "until": str(assignment.valid_until or "")}
        RoleAssignment.objects.filter(pk=assignment.pk).update(**period)
        assignment.valid_from, assignment.valid_until = valid_from, valid_until
        audit(actor, "role.period", user, {"role": role, "before": before, **period_data})
    what = f"{_scope_text(role, scope)}{Role(role).label}{_period_text(valid_from, valid_until)}"
    if pending:
        code = issue_code(user, OneTimeCode.Purpose.INVITATION, INVITATION_CODE_TTL)
        text = (
            f"{SMS_SIGNATURE}您被邀请为{what}。账号 {user.username}，验证码 {code}，3 天内有效。"
            "请在平台“接受邀请”处输入手机号和验证码并设置密码。"
        )
    else:
        text = f"{SMS_SIGNATURE}您的账号 {user.username} 已获授{what}，下次登录即可使用。"
    if send:
        _send_on_commit(phone, text)
    return assignment


def accept_invitation(phone: str, code: str, password: str) -> User:
    """The invited person sets their password with the SMS code. Call outside a transaction (attempts count)."""
    _check_password(password, None)
    user = _redeem(phone, code, OneTimeCode.Purpose.INVITATION)
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit(user, "user.invitation.accept", user, {"username": user.username})
    return user


# --- deactivation and roles ------------------------------------------------------------------------------------
@transaction.atomic
def deactivate_user(user: User, *, actor: User | None) -> User:
    """The user can no longer sign in; their sessions and tokens stop working at once."""
    if actor is not None and user.pk == actor.pk:
        raise _error(None, "不能停用自己的账号", AccountErrorCode.CANNOT_DEACTIVATE)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    revoke_all_tokens(user)
    OneTimeCode.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())
    audit(actor, "user.deactivate", user, {"username": user.username})
    return user


@transaction.atomic
def remove_role(assignment: RoleAssignment, *, actor: User | None) -> None:
    data = {"role": assignment.role, "scope": assignment.scope_name(), "username": assignment.user.username}
    user = assignment.user
    assignment.delete()
    audit(actor, "role.remove", user, data)


# --- passwords -------------------------------------------------------------------------------------------------
@transaction.atomic
def change_password(user: User, old_password: str, new_password: str) -> User:
    if not user.check_password(old_password or ""):
        raise _error("old_password", "原密码不正确", AccountErrorCode.INVALID_CREDENTIALS)
    _check_password(new_password, user, "new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit(user, "user.password.change", user, {"username": user.username})
    return user


@transaction.atomic
def request_password_reset(phone: str) -> None:
    """Send a reset code to the account of ``phone``. Answers the same whether or not there is one."""
    phone = normalise_mobile(phone, code=AccountErrorCode.INVALID_PHONE.value)
    user = user_by_phone(phone)
    if user is None or not user.is_active:
        return
    recent = OneTimeCode.objects.filter(
        user=user,
        purpose=OneTimeCode.Purpose.PASSWORD_RESET,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()
    if recent >= RESET_CODES_PER_HOUR:
        return
    code = issue_code(user, OneTimeCode.Purpose.PASSWORD_RESET, RESET_CODE_TTL)
    audit(None, "user.password.reset.request", user, {"username": user.username})
    text = f"{SMS_SIGNATURE}账号 {user.username} 重设密码的验证码 {code}，10 分钟内有效。如非本人操作请忽略。"
    _send_on_commit(phone, text)


def confirm_password_reset(phone: str, code: str, new_password: str) -> User:
    """Set a new password with the SMS code; every token of the account stops working. Call outside a transaction."""
    _check_password(new_password, None, "new_password")
    user = _redeem(phone, code, OneTimeCode.Purpose.PASSWORD_RESET)
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        revoke_all_tokens(user)
        audit(user, "user.password.reset", user, {"username": user.username})
    return user
