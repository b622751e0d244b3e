"""Celery: one app that each service's worker, beat and relay run under that service's settings."""
