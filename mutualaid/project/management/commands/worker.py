from django.core.management.base import BaseCommand

from mutualaid.project.celery import app


class Command(BaseCommand):
    help = "启动 Celery 后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=2)
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, concurrency, loglevel, **options):
        app.worker_main(
            ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--pool=prefork"]
        )
