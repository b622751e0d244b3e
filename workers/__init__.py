"""Celery: one app per service, task routing and the beat schedule (built with the saga)."""
