"""Front-end files from npm (package.json, installed into ./node_modules by the project's set-up), served by the
platform itself under /static/vendor/: town offices sit on intranets, so no page loads anything from outside.

Only the files listed here are exposed, not the whole node_modules folder.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning
from django.core.files.storage import FileSystemStorage

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
PREFIX = "vendor"
FILES = (
    "graphiql/graphiql.min.css",
    "graphiql/graphiql.min.js",
    "@graphiql/plugin-explorer/dist/style.css",
    "@graphiql/plugin-explorer/dist/graphiql-plugin-explorer.umd.js",
    "whatwg-fetch/dist/fetch.umd.js",
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "graphql-ws/umd/graphql-ws.min.js",
    "htmx.org/dist/htmx.min.js",
    "echarts/dist/echarts.min.js",
)


class VendorFinder(BaseFinder):
    """A staticfiles finder for the listed npm files, as ``vendor/<package path>``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(NODE_MODULES))
        self.storage.prefix = PREFIX  # type: ignore[attr-defined]

    def check(self, **kwargs):
        missing = [name for name in FILES if not (NODE_MODULES / name).exists()]
        if not missing:
            return []
        return [
            Warning(
                f"前端文件未安装（{len(missing)} 个，例如 {missing[0]}）：请在项目目录运行 npm ci",
                id="mutualaid.W001",
            )
        ]

    def find(self, path, find_all=False, **kwargs):
        if not path.startswith(PREFIX + "/"):
            return [] if find_all else None
        name = path[len(PREFIX) + 1 :]
        if name not in FILES or not (NODE_MODULES / name).exists():
            return [] if find_all else None
        found = str(NODE_MODULES / name)
        return [found] if find_all else found

    def list(self, ignore_patterns):
        for name in FILES:
            if (NODE_MODULES / name).exists():
                yield name, self.storage
