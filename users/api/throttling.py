"""The API's throttles, counted in the cache every process and pod shares (CACHES["shared"], in
this service's database), not in each process's memory: with four gunicorn processes and a
few pods a per-process limit is a dozen limits, and a restart forgets them."""

from django.core.cache import caches
from rest_framework.throttling import ScopedRateThrottle


class SharedScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle (per account when signed in, per client address otherwise).

    Read-then-write, as DRF's throttles are: requests of one client arriving at the same moment
    may each be let through once more than the rate; the rate stays a bound within that."""

    cache = caches["shared"]
