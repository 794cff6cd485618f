"""Print or write the SDL of both GraphQL schemas (committed under mutualaid/graphql/schema/; a test checks it)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from mutualaid.graphql.sdl import SDL_DIR, current_sdl


class Command(BaseCommand):
    help = "导出 GraphQL SDL（--write 写入仓库中的 .graphql 文件）"

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true")

    def handle(self, *args, write, **options):
        for name, sdl in current_sdl().items():
            path: Path = SDL_DIR / f"{name}.graphql"
            if write:
                path.write_text(sdl)
                self.stdout.write(f"已写入 {path}")
            else:
                self.stdout.write(sdl)
