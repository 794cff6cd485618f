from django.contrib import admin

from mutualaid.tenants.models import Domain, ServiceFirm, Town


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "county", "status", "created_at", "activated_at")
    list_filter = ("status",)
    search_fields = ("code", "name")
    readonly_fields = ("schema_name", "status", "error", "created_at", "activated_at")
    exclude = ("admin_phone_encrypted", "finance_phone_encrypted")  # ciphertext; set at onboarding

    def has_add_permission(self, request):
        return False  # towns are onboarded with onboardTown / mutualaid towns onboard


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "tenant", "is_primary")


@admin.register(ServiceFirm)
class ServiceFirmAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code")
    search_fields = ("name",)
    filter_horizontal = ("towns",)
