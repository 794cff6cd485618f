"""Per-request DataLoaders that batch in sync views.

graphene 3's execution is synchronous under Django's WSGI views and has no working DataLoader of its own;
graphql-sync-dataloaders' DeferredExecutionContext lets a SyncDataLoader defer resolution until a whole list level
has asked for its keys, then load them with one query. Loaders live on the request: primary keys repeat across
town schemas, so nothing is shared between requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphql_sync_dataloaders import SyncDataLoader


def get_loader(info, name: str, batch_load: Callable[[list], Iterable]) -> SyncDataLoader:
    request = info.context
    loaders = getattr(request, "_dataloaders", None)
    if loaders is None:
        loaders = request._dataloaders = {}
    if name not in loaders:

        def load(keys: list) -> list:
            # A batch that fails (e.g. over the personal data budget) fails each of its fields, not the request:
            # an exception escaping a batch would end the whole execution without an answer.
            try:
                return list(batch_load(keys))
            except Exception as exc:
                return [exc] * len(keys)

        loaders[name] = SyncDataLoader(load)
    return loaders[name]


def by_pk_loader(info, model, **select) -> SyncDataLoader:
    """Load ``model`` rows by primary key, in key order (None for a missing one)."""

    def load(keys: list) -> list:
        rows = model.objects.in_bulk(keys)
        return [rows.get(key) for key in keys]

    return get_loader(info, f"{model._meta.label}:pk", load)
