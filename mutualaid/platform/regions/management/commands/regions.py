from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mutualaid.platform.regions.importer import RegionImportError, import_regions


class Command(BaseCommand):
    help = "行政区划：mutualaid regions import DIR（provinces.csv, cities.csv, areas.csv, streets.csv）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入国家统计用区划代码 CSV（可重复执行）")
        imp.add_argument("directory", type=Path)

    def handle(self, *args, action, directory, **options):
        try:
            result = import_regions(directory)
        except RegionImportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"已导入：省 {result.provinces}，市 {result.cities}，县/区 {result.counties}，乡镇/街道 {result.townships}"
        )
