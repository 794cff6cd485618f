"""The base mutation: resolve inputs, check the declared permission in one place, run one domain action in one
transaction, and turn ValidationError(code=...) into typed errors. Bad input never writes anything."""

from __future__ import annotations

from contextlib import nullcontext

import graphene
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from graphene.types.mutation import MutationOptions
from graphql_relay import from_global_id

from mutualaid.graphql.core.errors import NotFound, errors_from_validation
from mutualaid.graphql.core.node import local_id
from mutualaid.platform.accounts.permissions import Rule, Target, has_permission


def pk_from_global_id(global_id: str, type_name: str, field: str) -> int:
    """The primary key in a relay global ID of ``type_name`` (of this town); anything else is NotFound."""
    try:
        found_type, value = from_global_id(global_id)
        if found_type != type_name:
            raise ValueError(found_type)
        return int(local_id(value))  # another town's ID is NotFound
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise NotFound(field) from exc


class BaseMutationOptions(MutationOptions):
    permission: Rule | None = None
    error_type: type | None = None
    public: bool = False
    atomic: bool = True
    error_renames: dict[str, str] | None = None


class BaseMutation(graphene.Mutation):
    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(
        cls,
        permission=None,
        error_type=None,
        public=False,
        atomic=True,
        error_renames=None,
        _meta=None,
        **options,
    ):
        if not _meta:
            _meta = BaseMutationOptions(cls)
        if permission is None and not public:
            raise TypeError(f"{cls.__name__} must declare a permission (or public=True)")
        _meta.permission = permission
        _meta.error_type = error_type
        _meta.public = public
        _meta.atomic = atomic
        # Domain field names whose API input is named differently; the rest map by camelCase.
        _meta.error_renames = error_renames
        super().__init_subclass_with_meta__(_meta=_meta, **options)
        cls._meta.fields["errors"] = graphene.Field(
            graphene.List(graphene.NonNull(error_type)), required=True
        )

    # --- hooks for subclasses ------------------------------------------------------------------------------------
    @classmethod
    def get_target(cls, info, **data) -> Target:
        """Where the operation acts; resolve IDs here and raise NotFound for missing ones."""
        return Target.platform()

    @classmethod
    def perform_mutation(cls, info, **data):
        raise NotImplementedError

    # --- the one place -----------------------------------------------------------------------------------------
    @classmethod
    def _error(cls, code: str, message: str, field: str | None = None):
        return cls._failed([cls._meta.error_type(field=field, code=code, message=message)])

    @classmethod
    def _failed(cls, errors: list):
        """The payload of a refused mutation: its errors, and empty lists for the lists it declares required
        (a null there would be a non-null violation that loses the errors)."""
        empty: dict[str, list] = {
            name: []
            for name, field in cls._meta.fields.items()
            if name != "errors"
            and isinstance(field.type, graphene.NonNull)
            and isinstance(field.type.of_type, graphene.List)
        }
        return cls(errors=errors, **empty)

    @classmethod
    def mutate(cls, root, info, **data):
        user = info.context.user
        try:
            with transaction.atomic() if cls._meta.atomic else nullcontext():
                target = cls.get_target(info, **data)
                if not cls._meta.public and not has_permission(user, cls._meta.permission, target):
                    raise PermissionDenied
                result = cls.perform_mutation(info, **data)
                result.errors = []
                return result
        except NotFound as exc:
            return cls._error("not_found", exc.message, exc.field)
        except ObjectDoesNotExist:
            return cls._error("not_found", "对象不存在或无权访问")
        except PermissionDenied:
            message = "请先登录" if not user.is_authenticated else "无权执行此操作"
            return cls._error("permission_denied", message)
        except ValidationError as exc:
            return cls._failed(errors_from_validation(exc, cls._meta.error_type, cls._meta.error_renames))
