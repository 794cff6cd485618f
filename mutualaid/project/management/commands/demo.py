from django.core.management.base import BaseCommand

from mutualaid.project.demo import build_demo


class Command(BaseCommand):
    help = "创建演示数据（可重复执行）并打印演示账号"

    def handle(self, *args, **options):
        logins = build_demo()
        self.stdout.write("演示数据已就绪。演示账号：")
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.password}  {login.role} · {login.scope}")
