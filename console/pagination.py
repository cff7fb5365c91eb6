from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

PAGE_SIZE_MIN = 1


class PagePagination(PageNumberPagination):
    """Page-number pagination whose `page_size` is checked, not silently replaced by the default."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw, 10)
        except ValueError:
            size = None
        if size is None or not PAGE_SIZE_MIN <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: [
                _("Give page_size as a whole number between %(min)d and %(max)d.") % {
                    "min": PAGE_SIZE_MIN, "max": self.max_page_size}]})
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": PAGE_SIZE_MIN, "maximum": self.max_page_size}
                parameter["description"] = f"Results per page, {PAGE_SIZE_MIN} to {self.max_page_size}."
        return parameters
