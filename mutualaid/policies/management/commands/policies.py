"""mutualaid policies preset KEY --town CODE [--publish] | mutualaid policies presets"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mutualaid.policies.presets import PRESETS, TOWN_PRESETS
from mutualaid.tenants.models import Town


def _message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    help = "互助年度政策：套用文件预设、列出预设"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        preset = sub.add_parser("preset", help="在乡镇内套用预设（写入该年度草稿），可选 --publish 直接发布")
        preset.add_argument("key", help="预设键（xinsheng-2022、haian-2022），或 auto 按乡镇代码选择")
        preset.add_argument("--town", required=True, help="9 位乡镇区划代码")
        preset.add_argument("--publish", action="store_true", help="套用后立即校验并发布")
        sub.add_parser("presets", help="列出预设")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _presets(self, **options):
        for preset in PRESETS.values():
            towns = ", ".join(code for code, key in TOWN_PRESETS.items() if key == preset.key)
            self.stdout.write(f"{preset.key}\t{preset.title}\t{preset.document}\t乡镇：{towns}")

    def _preset(self, key, town, publish=False, **options):
        from mutualaid.policies.actions import apply_preset

        found = Town.objects.filter(code=town).first()
        if found is None:
            raise CommandError(f"未找到乡镇 {town}")
        connection.set_tenant(found)
        try:
            policy = apply_preset(found.code if key == "auto" else key, None, publish=publish)
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        finally:
            connection.set_schema_to_public()
        state = "已发布" if policy.status == "published" else "草稿"
        self.stdout.write(
            f"{found.name}：{policy.scheme_year.year}互助年度 第{policy.version}版（{state}，预设 {policy.preset_key}）"
        )
