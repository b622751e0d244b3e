"""Page-number pagination with a client-chosen page size that is clamped, never unbounded."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    # DRF clamps a larger `?page_size=` to this instead of refusing it.
    max_page_size = 100
