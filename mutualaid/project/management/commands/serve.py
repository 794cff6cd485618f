"""mutualaid serve: migrate, prepare demo data, start the worker and the web server, print where to go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mutualaid.project import embedded
from mutualaid.project.demo import build_demo

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _stop_worker(worker: subprocess.Popen) -> None:
    """Warm shutdown of the worker and its pool; killed as a group if it does not finish in time."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


class Command(BaseCommand):
    help = "启动平台（内置数据库、演示数据、后台任务进程与网站）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="不创建演示数据")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, no_demo, no_worker, threads, **options):
        # Any stopping signal unwinds through ``finally``: nothing this command started outlives it.
        for signum in STOP_SIGNALS:
            signal.signal(signum, _raise_interrupt)
        # Addresses printed by this process and the worker (e.g. a town's after onboarding) carry our port.
        os.environ["MUTUALAID_PUBLIC_URL"] = settings.PUBLIC_URL = f"http://{settings.BASE_DOMAIN}:{port}"
        self.worker: subprocess.Popen | None = None
        try:
            self._run(host, port, no_demo, no_worker, threads)
        except KeyboardInterrupt:
            self.stdout.write("正在停止……")
        finally:
            if self.worker is not None:
                _stop_worker(self.worker)
            if embedded.started_here:
                embedded.stop_embedded_database()

    def _run(self, host, port, no_demo, no_worker, threads):
        call_command("migrate_all", no_progress=True)
        logins = [] if no_demo else build_demo()
        if not no_worker:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "mutualaid.project.cli", "worker", "--loglevel=WARNING"],
                start_new_session=True,  # its own group, so Ctrl+C reaches it only through us
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

        serve(application, host=host, port=port, threads=threads, ident="mutualaid")
