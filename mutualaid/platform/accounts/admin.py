from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from mutualaid.platform.accounts.models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["province", "county", "town", "firm"]


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("平台", {"fields": ("display_name",)}))
    list_display = ("username", "display_name", "is_staff", "is_active", "last_login")
    inlines = [RoleAssignmentInline]
