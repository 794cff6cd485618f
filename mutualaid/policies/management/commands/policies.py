"""mutualaid policies preset KEY --town CODE [--year Y] [--publish] | mutualaid policies presets"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mutualaid.policies.actions import apply_preset
from mutualaid.policies.documents import FAMILIES, PRESETS, TOWN_PRESETS
from mutualaid.tenants.models import Town


def _message(exc: ValidationError) -> str:
    return "；".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    help = "互助年度政策：套用文件预设、列出预设"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        preset = sub.add_parser("preset", help="在乡镇内套用预设（写入该年度草稿），可选 --publish 直接发布")
        preset.add_argument(
            "key",
            help="预设键（xinsheng-2022、haian-2022）、文件（xinsheng、haian），或 auto 按乡镇所在地区选择",
        )
        preset.add_argument("--town", required=True, help="9 位乡镇区划代码")
        preset.add_argument(
            "--year",
            type=int,
            default=None,
            help="互助年度（默认：试点镇及带年份的预设键为其年份，否则为下一个开始交费的年度）",
        )
        preset.add_argument("--publish", action="store_true", help="套用后立即校验并发布")
        sub.add_parser("presets", help="列出预设")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _presets(self, **options):
        for preset in PRESETS.values():
            towns = ", ".join(code for code, key in TOWN_PRESETS.items() if key == preset.key)
            self.stdout.write(f"{preset.key}\t{preset.title}\t{preset.document}\t乡镇：{towns}")
        families = "、".join(FAMILIES)
        self.stdout.write(
            f"按文件（{families}）或 auto 套用时，默认为下一个开始交费的互助年度；--year 指定年度"
        )

    def _preset(self, key, town, publish=False, year=None, **options):
        found = Town.objects.filter(code=town).first()
        if found is None:
            raise CommandError(f"未找到乡镇 {town}")
        connection.set_tenant(found)
        try:
            policy = apply_preset(key, None, publish=publish, scheme_year=year, town_code=found.code)
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        finally:
            connection.set_schema_to_public()
        state = "已发布" if policy.status == "published" else "草稿"
        self.stdout.write(
            f"{found.name}：{policy.scheme_year.year}互助年度 第{policy.version}版（{state}，预设 {policy.preset_key}）"
        )
        self.stdout.write(
            f"  交费期 {policy.enrolment_opens} 至 {policy.enrolment_closes}，"
            f"保障期 {policy.coverage_start} 至 {policy.coverage_end}"
        )
