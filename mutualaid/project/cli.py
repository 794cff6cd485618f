"""The ``mutualaid`` command. Every sub-command is a Django management command; ``manage`` passes through."""

from __future__ import annotations

import os
import sys

# Friendly names for commands whose management-command name differs.
ALIASES = {"migrate": "migrate_all"}

USAGE = """用法：mutualaid <命令> [参数]

  serve                 迁移数据库、准备演示数据，启动网站与后台任务进程，并打印地址与演示账号
  demo                  创建演示数据（江苏省海安市大公镇、雅周镇，重庆市潼南区新胜镇）
  worker                启动 Celery 后台任务进程
  migrate               迁移公共、模板与全部乡镇 schema（并行，跳过已是最新的）
  towns onboard CODE    开通乡镇；towns list；towns retry CODE
  sms outbox [--phone P] [--limit N]  查看开发用短信发件箱里最近的短信（新的在最后；按手机号筛选时显示完整号码）
  regions import DIR    导入国家行政区划代码
  drg import VERSION DIR  导入 CHS-DRG 分组方案规则表（VERSION：chs-drg-1.1 或 chs-drg-2.0）
  drg import-weights CITY YEAR FILE  导入城市 DRG 相对权重与支付标准表（CSV，UTF-8 或 GBK）
  drg group --version VERSION IN.csv [-o OUT.csv]  按 CHS-DRG 分组病例文件（显示进度；输出 id,mdc,adrg,drg,status,reasons）
  icd import [DIR]      导入 ICD-10 / ICD-9-CM-3 医保版 2.0 编码与灰码（默认 ../shared/data/icd）
  roster import --town CODE FILE  导入村花名册（.csv/.xlsx，显示进度）；roster template OUT 导出模板
  policies preset KEY --town CODE [--year Y] [--publish]  套用互助政策预设（xinsheng-2022、haian-2022、xinsheng、haian；auto 按乡镇所在地区；默认下一个交费年度）
  policies design --town CODE --year Y [--save]  一键设计补助定额并做偿付能力模拟（显示进度）；policies simulate --town CODE --year Y  模拟某版本补助表
  funds balance CODE YEAR  打印某镇某互助年度的资金余额与试算平衡表（--before-closing 结账前口径）
  manage ...            其他 Django 管理命令（如 manage createsuperuser）

环境变量见 README.md“配置”一节；未设置时使用内置 PostgreSQL，数据目录 $MUTUALAID_HOME（默认 ./var）。"""


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return
    from django.core.management import execute_from_command_line

    command, rest = argv[0], argv[1:]
    if command == "manage":
        execute_from_command_line(["mutualaid manage", *rest])
    else:
        execute_from_command_line(["mutualaid", ALIASES.get(command, command), *rest])


if __name__ == "__main__":
    main()
