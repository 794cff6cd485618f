from django.contrib import admin

from mutualaid.platform.regions.models import City, County, Province, Township


@admin.register(Province, City, County, Township)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
