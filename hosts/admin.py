from django.contrib import admin

from hosts.models import Host, PackageSizeLimit


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "active", "position", "operator_count"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_zh"]
    filter_horizontal = ["operators"]
    list_editable = ["active", "position"]

    @admin.display(description="operators")
    def operator_count(self, obj):
        return obj.operators.count()


@admin.register(PackageSizeLimit)
class PackageSizeLimitAdmin(admin.ModelAdmin):
    list_display = ["dialect", "host", "main_bytes", "subpackage_bytes", "full_bytes"]
    list_filter = ["dialect", "host"]
    search_fields = ["dialect", "host__code", "host__name"]
    list_select_related = ["host"]
