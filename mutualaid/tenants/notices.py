"""What a newly onboarded town must still do, told in the onboarding result and the first admin's SMS."""

from __future__ import annotations

from mutualaid.tenants.models import Town

FINANCE_MISSING = (
    "本镇尚无镇财政人员账号：请镇管理员登录后邀请镇财政人员（镇财政/慈善基金会），否则无法登记补助等收入。"
)


def finance_notice(town: Town) -> str:
    """Empty when a finance phone was given at onboarding (that person is invited); otherwise the instruction."""
    return "" if town.finance_phone_encrypted else FINANCE_MISSING
