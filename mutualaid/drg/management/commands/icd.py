import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutualaid.drg.demo import reference_data_dir
from mutualaid.drg.importer import CatalogueImportError, import_icd


class Command(BaseCommand):
    help = "ICD 编码：mutualaid icd import [DIR]（ICD-10 与 ICD-9-CM-3 医保版 2.0，含灰码；默认 ../shared/data/icd）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 ICD 医保版 2.0 诊断与手术操作编码（可重复执行）")
        imp.add_argument("directory", type=Path, nargs="?", default=None)
        imp.add_argument("--force", action="store_true", help="内容未变也重新写入")

    def handle(self, *args, action, directory, force, **options):
        directory = directory or reference_data_dir() / "icd"
        started = time.monotonic()
        try:
            result = import_icd(directory, force=force)
        except CatalogueImportError as exc:
            raise CommandError(str(exc)) from exc
        verb = "已导入" if result.changed else "已是最新（内容未变，未作改动）"
        self.stdout.write(
            f"{verb} ICD 医保版 2.0（{directory}）：诊断 {result.diagnoses}（灰码 {result.grey_diagnoses}），"
            f"手术操作 {result.procedures}（灰码 {result.grey_procedures}）；用时 {time.monotonic() - started:.1f} 秒"
        )
