"""mutualaid serve: migrate, prepare demo data, start the worker and the web server, print where to go."""

from __future__ import annotations

import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mutualaid.project.demo import build_demo


class Command(BaseCommand):
    help = "启动平台（内置数据库、演示数据、后台任务进程与网站）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="不创建演示数据")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, no_demo, no_worker, threads, **options):
        call_command("migrate_all", no_progress=True)
        logins = [] if no_demo else build_demo()
        worker = None
        if not no_worker:
            worker = subprocess.Popen(
                [sys.executable, "-m", "mutualaid.project.cli", "worker", "--loglevel=WARNING"]
            )
        base = (
            f"http://{settings.BASE_DOMAIN}:{port}"
            if host in ("127.0.0.1", "0.0.0.0")
            else f"http://{host}:{port}"
        )
        self.stdout.write(f"\n平台地址：{base}/   API：{base}/graphql/   后台：{base}/admin/")
        self.stdout.write(
            f"乡镇地址：{base}/t/<乡镇代码>/  或  http://<子域名>.{settings.BASE_DOMAIN}:{port}/"
        )
        if logins:
            self.stdout.write("演示账号：")
            for login in logins:
                self.stdout.write(f"  {login.username:<18} {login.password}  {login.role} · {login.scope}")
        self.stdout.write("按 Ctrl+C 停止。\n")
        sys.stdout.flush()
        from waitress import serve

        from mutualaid.project.wsgi import application

        try:
            serve(application, host=host, port=port, threads=threads, ident="mutualaid")
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
