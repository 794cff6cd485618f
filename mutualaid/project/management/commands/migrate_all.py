"""mutualaid migrate: public first, then the template and every town schema that is behind."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mutualaid.tenants.migration import migrate_public, migrate_schemas, stale_schemas, template_schema
from mutualaid.tenants.models import Town


class Command(BaseCommand):
    help = "迁移数据库：公共 schema、模板 schema 与全部乡镇 schema（跳过已是最新的，并行执行）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.MIGRATE_CONCURRENCY,
            help="同时迁移的乡镇数（连接预算）",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, concurrency, no_progress, verbosity, **options):
        started = time.monotonic()
        migrate_public(verbosity=max(verbosity - 1, 0))
        towns = list(Town.objects.exclude(status="provisioning").values_list("schema_name", flat=True))
        stale = stale_schemas([template_schema(), *towns])
        template_stale = template_schema() in stale
        if template_stale:  # migrated first: new towns are cloned from it
            migrate_schemas([template_schema()], 1)
        stale_towns = [name for name in stale if name != template_schema()]
        self.stdout.write(f"乡镇 {len(towns)} 个，需迁移 {len(stale_towns)} 个（其余已是最新）")
        failures = []
        with tqdm(total=len(stale_towns), disable=no_progress or not stale_towns, unit="镇") as bar:

            def on_result(result):
                bar.update(1)
                if not result.ok:
                    failures.append(result)
                    bar.write(f"失败 {result.schema_name}: {result.error}")

            migrate_schemas(stale_towns, concurrency, on_result)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"完成：迁移 {len(stale_towns) - len(failures)} 个，失败 {len(failures)} 个，用时 {elapsed:.1f} 秒"
        )
        if failures:
            raise CommandError(
                f"{len(failures)} 个乡镇迁移失败；其余乡镇可正常使用，修复后重新运行 mutualaid migrate"
            )
