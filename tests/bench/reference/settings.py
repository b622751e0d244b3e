"""A minimal Django project: one JSON view, no database, DEBUG off, almost no middleware.

What every shop request pays above this (DRF, authentication, the ORM and PostgreSQL, the
shop's middleware and logging) is what the ratios in the benchmark's report show.
"""

SECRET_KEY = "benchmark-reference-only-not-a-secret-0123456789"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.bench.reference.urls"
WSGI_APPLICATION = "tests.bench.reference.wsgi.application"
INSTALLED_APPS: list[str] = []
# CommonMiddleware only: the smallest stack a real Django site runs.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES: dict = {}
USE_TZ = True
LOGGING_CONFIG = None
