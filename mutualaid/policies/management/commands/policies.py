"""mutualaid policies preset KEY --town CODE [--year Y] [--publish] | mutualaid policies presets |
mutualaid policies design --town CODE --year Y [--save] | mutualaid policies simulate --town CODE --year Y"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from mutualaid.drg.catalogue import unknown_drg_codes
from mutualaid.policies import design_inputs, design_rates
from mutualaid.policies.actions import apply_preset
from mutualaid.policies.documents import FAMILIES, PRESETS, TOWN_PRESETS
from mutualaid.policies.models import PolicyVersion
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
        for name, text in (
            ("design", "一键设计：按实际筹资与已缴费参加人员测算补助定额，并模拟"),
            ("simulate", "偿付能力模拟：某版本补助表年内资金用完的概率"),
        ):
            scheme = sub.add_parser(name, help=text)
            scheme.add_argument("--town", required=True, help="9 位乡镇区划代码")
            scheme.add_argument("--year", type=int, required=True, help="互助年度，如 2022")
            scheme.add_argument(
                "--reserve",
                type=int,
                default=1000 if name == "design" else 0,
                help="预留比例（基点，1000 = 10%%）",
            )
            scheme.add_argument("--rates", help="住院率表（.csv/.xlsx：DRG编码、每千人住院次数）；默认参考表")
            scheme.add_argument("--runs", type=int, default=10_000, help="模拟次数（默认 10000）")
            scheme.add_argument("--seed", type=int, default=20221101, help="随机种子（可复现）")
        design = sub.choices["design"]
        design.add_argument("--source", choices=["current", "city"], default="current", help="相对权重来源")
        design.add_argument("--city", default="", help="城市（--source city），如 盐城")
        design.add_argument("--city-year", type=int, default=None, help="城市权重表年度")
        design.add_argument("--save", action="store_true", help="保存为草稿（已发布则生成修订草稿）")
        sub.choices["simulate"].add_argument(
            "--version", type=int, default=None, help="政策版本号（默认最新）"
        )

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

    # --- one-click design and the solvency simulation (mutualaid.policies.design_inputs) ----------------------------

    def _scheme(self, town, year, reserve, rates, runs, seed, run):
        found = Town.objects.filter(code=town).first()
        if found is None:
            raise CommandError(f"未找到乡镇 {town}")
        connection.set_tenant(found)
        try:
            policy = design_inputs.design_policy(year)
            table = None
            if rates:
                version = policy.drg_catalogue_version or "chs-drg-1.1"
                table = design_rates.parse_rate_file(
                    Path(rates).name,
                    Path(rates).read_bytes(),
                    lambda codes: unknown_drg_codes(version, codes),
                )
            bars = []  # the bar appears with the first simulated batch (not before an input error)

            def progress(done, total):
                if not bars:
                    bars.append(tqdm(total=total, desc="模拟", unit="次", disable=total < 1000))
                bars[0].update(done - bars[0].n)

            try:
                outcome, result = run(table, progress)
            finally:
                for bar in bars:
                    bar.close()
        except ValidationError as exc:
            raise CommandError(_message(exc)) from exc
        except OSError as exc:
            raise CommandError(f"无法读取住院率表：{exc}") from exc
        finally:
            connection.set_schema_to_public()
        self.stdout.write(found.name)
        for line in design_inputs.summary_lines(outcome, result):
            self.stdout.write(line)

    def _design(self, town, year, reserve, rates=None, runs=10_000, seed=20221101, save=False, **options):
        def run(table, progress):
            outcome = design_inputs.prepare_design(
                year,
                reserve_bp=reserve,
                weight_source=options["source"],
                city=options["city"],
                city_year=options["city_year"],
                rates=table,
            )
            result = design_inputs.simulate_outcome(outcome, runs=runs, seed=seed, progress=progress)
            if save:
                draft = design_inputs.save_design_as_draft(outcome, None)
                self.stdout.write(f"已保存为第 {draft.version} 版草稿（请审核后发布）")
            return outcome, result

        self._scheme(town, year, reserve, rates, runs, seed, run)

    def _simulate(self, town, year, reserve, rates=None, runs=10_000, seed=20221101, version=None, **options):
        def run(table, progress):
            policies = PolicyVersion.objects.select_related("scheme_year").filter(scheme_year__year=year)
            policy = (policies.filter(version=version) if version else policies.order_by("-version")).first()
            if policy is None:
                raise CommandError(
                    f"{year}互助年度没有第 {version} 版政策" if version else f"{year}互助年度还没有政策"
                )
            return design_inputs.simulate_policy(
                policy, table, reserve_bp=reserve, runs=runs, seed=seed, progress=progress
            )

        self._scheme(town, year, reserve, rates, runs, seed, run)
