import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutualaid.drg.city_weights import import_city_weights
from mutualaid.drg.importer import CatalogueImportError, import_catalogue
from mutualaid.drg.rule_files import LAYOUTS

LABELS = {
    "mdc": "MDC",
    "adrg": "ADRG",
    "drg": "DRG",
    "rule_lists": "规则列表",
    "rule_entries": "列表编码",
    "mcc": "MCC",
    "cc": "CC",
    "cc_exclusions": "CC 排除项",
    "invalid": "不可入组编码",
}


class Command(BaseCommand):
    help = (
        "DRG 目录：mutualaid drg import VERSION DIR（VERSION 为 chs-drg-1.1 或 chs-drg-2.0）；"
        "mutualaid drg import-weights CITY YEAR FILE（城市 DRG 权重与支付标准 CSV）"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 CHS-DRG 分组方案规则表（可重复执行）")
        imp.add_argument("version", help=f"版本：{'、'.join(LAYOUTS)}")
        imp.add_argument("directory", type=Path)
        imp.add_argument("--force", action="store_true", help="内容未变也重新写入")
        weights = sub.add_parser("import-weights", help="导入城市 DRG 权重与支付标准表（CSV，UTF-8 或 GBK）")
        weights.add_argument("city", help="城市（或省份）名称，如 苏州")
        weights.add_argument("year", type=int)
        weights.add_argument("file", type=Path)
        weights.add_argument(
            "--catalogue",
            dest="catalogue",
            default=None,
            help="DRG 分组方案版本（默认：与表中编码最吻合的已导入版本）",
        )
        weights.add_argument("--force", action="store_true", help="内容未变也重新写入")

    def handle(self, *args, action, **options):
        started = time.monotonic()
        try:
            if action == "import":
                self._import(options["version"], options["directory"], options["force"])
            else:
                self._weights(
                    options["city"], options["year"], options["file"], options["catalogue"], options["force"]
                )
        except CatalogueImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"用时 {time.monotonic() - started:.1f} 秒")

    def _import(self, version, directory, force):
        result = import_catalogue(version, directory, force=force)
        counts = "，".join(f"{LABELS[k]} {v}" for k, v in result.counts.items() if v or k != "invalid")
        if result.changed:
            self.stdout.write(f"已导入 {version}：{counts}")
        else:
            self.stdout.write(f"{version} 已是最新（内容未变，未作改动）：{counts}")

    def _weights(self, city, year, path, catalogue, force):
        result = import_city_weights(city, year, path, version_code=catalogue, force=force)
        verb = "已导入" if result.changed else "已是最新（内容未变，未作改动）"
        self.stdout.write(
            f"{verb} {result.city}{result.year} 权重表（{result.version_code}，文件编码 {result.encoding}）："
            f"{result.rows} 行，其中 {result.known} 个 DRG 在目录中，支付标准 {result.payment_standards} 项"
        )
        if result.unknown_codes:
            self.stdout.write(
                self.style.WARNING(
                    f"{len(result.unknown_codes)} 个编码不在 {result.version_code} 目录中（已保留，未关联）："
                    + "、".join(result.unknown_codes)
                )
            )
        if result.duplicate_codes:
            self.stdout.write(
                self.style.WARNING("重复的编码（只保留第一行）：" + "、".join(result.duplicate_codes))
            )
