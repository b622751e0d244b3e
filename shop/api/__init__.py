"""DRF conventions shared by every service's API: pagination, errors, permissions, forms."""
