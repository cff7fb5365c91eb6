from django.contrib import admin

from hosts.models import Host


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
