"""The benchmark's reference servers: a minimal Django JSON view behind the shop's gunicorn
command, and nginx, both behind a small nginx configuration of the benchmark's own that proxies
the way the gateway does. The shop's read figures are reported as ratios to these."""
