"""Read-only admin views of the shared catalogues (they change only through the import commands)."""

from django.contrib import admin

from mutualaid.drg.models import Adrg, CatalogueVersion, CityWeightTable, Drg, IcdCode, Mdc


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CatalogueVersion)
class CatalogueVersionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "imported_at")


@admin.register(Mdc, Adrg)
class TreeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "version")
    list_filter = ("version",)
    search_fields = ("code", "name")


@admin.register(Drg)
class DrgAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "split", "version")
    list_filter = ("version", "split")
    search_fields = ("code", "name")


@admin.register(IcdCode)
class IcdCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "grey")
    list_filter = ("kind", "grey")
    search_fields = ("code", "name")


@admin.register(CityWeightTable)
class CityWeightTableAdmin(ReadOnlyAdmin):
    list_display = ("city", "year", "version", "source_name", "encoding", "imported_at")
    list_filter = ("version", "year")
