"""``mutualaid roster import --town CODE FILE``: import a roster file into a town with a progress bar;
``mutualaid roster template [--format csv|xlsx] [--town CODE] OUT``: write the import template, in the format
the file's extension names unless ``--format`` says otherwise, with an example row of the given town (or neutral)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from mutualaid.enrolment import roster
from mutualaid.enrolment.models import ImportJob, Village
from mutualaid.tenants.models import Town


class Command(BaseCommand):
    help = "花名册：import 导入（带进度条），template 导出模板"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入花名册（.csv / .xlsx）")
        imp.add_argument("--town", required=True, help="9 位乡镇区划代码")
        imp.add_argument("--village", default="", help="只导入该村（12 位村代码）")
        imp.add_argument("file")
        tpl = sub.add_parser("template", help="导出导入模板")
        tpl.add_argument(
            "--format",
            choices=roster.FORMATS,
            default=None,
            help="默认按文件扩展名（.csv / .xlsx），其他为 xlsx",
        )
        tpl.add_argument("--town", default="", help="示例行用该乡镇（9 位乡镇区划代码）的村；默认为通用示例")
        tpl.add_argument("out")

    def handle(self, *args, action, **options):
        if action == "template":
            out = options["out"]
            file_format = options["format"] or roster.format_for_path(out)
            Path(out).write_bytes(roster.template(file_format, **self._example_town(options["town"])))
            self.stdout.write(f"模板（{file_format}）已写入 {out}")
            return
        self._import(options["town"], options["file"], options["village"] or None)

    def _example_town(self, town_code: str) -> dict[str, str]:
        if not town_code:
            return {}
        town = Town.objects.filter(code=town_code).first()
        if town is None or not town.is_active:
            raise CommandError(f"乡镇 {town_code} 不存在或未开通")
        connection.set_tenant(town)  # type: ignore[attr-defined]
        try:
            village = Village.objects.order_by("code").first()
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]
        return {
            "town_code": town.code,
            "town_name": town.name,
            "village_code": village.code if village else "",
            "village_name": village.name if village else "",
        }

    def _import(self, town_code: str, path: str, village_code: str | None) -> None:
        town = Town.objects.filter(code=town_code).first()
        if town is None or not town.is_active:
            raise CommandError(f"乡镇 {town_code} 不存在或未开通")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"文件不存在：{path}")
        with source.open("rb") as handle:
            head = handle.read(4096)
        connection.set_tenant(town)  # type: ignore[attr-defined]
        try:
            try:
                file_format = roster.detect_format(source.name, head)
                roster.check_file(str(source), file_format)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
            job = ImportJob(
                file_name=source.name[:200], file_format=file_format, village_code=village_code or ""
            )
            with source.open("rb") as handle:
                job.file.save(f"roster.{file_format}", File(handle), save=False)
            job.save()
            bar = tqdm(total=None, unit="行", desc=f"{town.name} 花名册导入")

            def progress(counts, total):
                if bar.total != total:
                    bar.total = total
                bar.update(counts.rows_done - bar.n)
                bar.set_postfix(新增=counts.created, 更新=counts.updated, 错误=counts.errors)

            job = roster.run_job(job, on_progress=progress)
            bar.close()
            if job.status != "done":
                raise CommandError(job.error)
            self.stdout.write(
                f"完成：{job.rows_done} 行，新增 {job.created_count}，更新 {job.updated_count}，"
                f"未变化 {job.unchanged_count}，错误 {job.error_count}，新增户 {job.households_created}"
            )
            if job.error_report:
                # Stored encrypted: the operator gets a readable copy beside the roster, only theirs to read.
                with job.error_report.open("rb") as stored:
                    content = stored.read()
                target = source.with_name(f"{source.stem}-错误报告{source.suffix}")
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                self.stdout.write(f"错误报告：{target}")
        finally:
            connection.set_schema_to_public()  # type: ignore[attr-defined]
