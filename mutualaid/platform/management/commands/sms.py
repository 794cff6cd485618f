"""mutualaid sms outbox [--phone P] [--limit N]: the latest messages of the development SMS outbox."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mutualaid.platform.crypto import mask_phone
from mutualaid.platform.sms import outbox_path, read_outbox
from mutualaid.platform.validators import normalise_mobile


class Command(BaseCommand):
    help = "开发用短信发件箱：查看最近发出的短信（最新的在最后）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        outbox = sub.add_parser("outbox", help="查看最近发出的短信（最新的在最后）")
        outbox.add_argument("--phone", default=None, help="只看发给此手机号的短信（显示完整号码）")
        outbox.add_argument("--limit", type=int, default=20, help="最多显示几条（默认 20）")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _outbox(self, phone, limit, **options):
        if limit < 1:
            raise CommandError("--limit 应为正整数")
        if phone is not None:
            try:
                phone = normalise_mobile(phone)
            except ValidationError as exc:
                raise CommandError("；".join(exc.messages)) from exc
        path = outbox_path()
        messages = read_outbox(path, phone=phone, limit=limit)
        if not messages:
            where = f"发给 {phone} 的" if phone else ""
            self.stdout.write(f"发件箱（{path}）里没有{where}短信")
            return
        for message in messages:
            shown = message.phone if phone else mask_phone(message.phone)
            at = timezone.localtime(message.sent_at).strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(f"{at}  {shown}  {message.text}")
