import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mutualaid.drg.catalogue import UnknownCatalogueVersion
from mutualaid.drg.city_weights import import_city_weights
from mutualaid.drg.group_file import GroupFileError, group_rows, read_stays, read_text
from mutualaid.drg.grouper import get_grouper
from mutualaid.drg.importer import CatalogueImportError, import_catalogue
from mutualaid.drg.rule_files import LAYOUTS

PROGRESS_FROM_ROWS = 2000  # smaller files are grouped in well under a second: no bar

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
        "mutualaid drg import-weights CITY YEAR FILE（城市 DRG 权重与支付标准 CSV）；"
        "mutualaid drg group --version VERSION IN.csv [-o OUT.csv]（病例分组）"
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
        group = sub.add_parser(
            "group",
            help="按 CHS-DRG 分组病例文件：IN.csv 列为 id,sex,age,age_days,weight,dept,los,leaving_type,"
            "diagnoses,procedures；OUT.csv 列为 id,mdc,adrg,drg,status,reasons",
        )
        group.add_argument("--version", dest="catalogue", required=True, help=f"版本：{'、'.join(LAYOUTS)}")
        group.add_argument("file", type=Path)
        group.add_argument("-o", "--output", type=Path, default=None, help="输出文件（默认：标准输出）")

    def handle(self, *args, action, **options):
        started = time.monotonic()
        if action == "group":
            self._group(options["catalogue"], options["file"], options["output"])
            return
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

    def _group(self, version, path: Path, output: Path | None):
        started = time.monotonic()
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            grouper = get_grouper(version)
            total, rows = read_stays(read_text(path))
        except UnknownCatalogueVersion as exc:
            raise CommandError(f"{exc}（先运行 mutualaid drg import {version} DIR）") from exc
        except GroupFileError as exc:
            raise CommandError(f"{path.name}：{exc}") from exc
        built = time.monotonic() - started
        bar = tqdm(
            total=total, unit="例", desc=f"{grouper.version_name} 分组", disable=total < PROGRESS_FROM_ROWS
        )

        def progress(done: int) -> None:
            bar.update(done - bar.n)

        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            counts = group_rows(grouper, rows, out, on_progress=progress)
        finally:
            bar.close()
            if output:
                out.close()
        summary = "，".join(f"{status} {n}" for status, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        done = sum(counts.values())
        seconds = time.monotonic() - started
        message = (
            f"已分组 {done} 例（{summary or '无'}），用时 {seconds:.1f} 秒（其中载入分组器 {built:.1f} 秒）"
            + (f"，结果写入 {output}" if output else "")
        )
        if output:
            self.stdout.write(message)
        else:  # the rows went to standard output
            self.stderr.write(message)
