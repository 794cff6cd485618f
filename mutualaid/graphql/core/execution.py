"""The execution context: graphql-sync-dataloaders' deferred execution, adapted to graphql-core 3.2.14.

graphql-core 3.2.4 added a ``path`` argument to ``handle_field_error``; graphql-sync-dataloaders 0.1.1 still calls
it without one, which turned every resolver error into a server error. We rebuild the path from the located error.
"""

from __future__ import annotations

from graphql.pyutils import Path
from graphql_sync_dataloaders import DeferredExecutionContext


def _path_from_list(keys) -> Path | None:
    path = None
    for key in keys or ():
        path = Path(path, key, None)
    return path


class BatchingExecutionContext(DeferredExecutionContext):
    def handle_field_error(self, error, return_type, path=None):
        if path is None:
            path = _path_from_list(error.path)
        return super().handle_field_error(error, return_type, path)
