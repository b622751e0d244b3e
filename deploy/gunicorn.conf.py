"""How every web process of the shop runs gunicorn: Kubernetes, compose and `make run` (through
deploy/local/stack.py) all start `python -m gunicorn <service>.wsgi:application --config
deploy/gunicorn.conf.py`. The values are the container's; the local stack, four services and
the benchmark on one machine, overrides on its command line only its addresses, its worker
count and the graceful timeout (deploy/local/stack.py says why)."""

# The container's port, on every interface: the Service and the probes reach the pod's address.
bind = ["0.0.0.0:8000"]
# Two processes of four threads: the measured size of a pod (deploy/README.md, "Measured figures").
workers = 2
# Threads keep the gateway's upstream connections alive between requests.
worker_class = "gthread"
threads = 4
keepalive = 5
# Within the pod's grace period (45 s) after its preStop sleep (10 s).
graceful_timeout = 25
# The workers' heartbeat files: /tmp is the writable emptyDir on a read-only root.
worker_tmp_dir = "/tmp"  # noqa: S108
# gunicorn 27 would create a control socket under $HOME (read-only in the containers), and four
# gunicorns on one machine would fight over one ~/.gunicorn socket.
control_socket_disable = True
# Import the service once, before forking the workers: they share its memory.
preload_app = True
# No access log: the gateway logs every request, and the service one JSON line per request with
# its id (shop.observability.request_id).


def when_ready(server: object) -> None:
    """In the master, after the service is imported (preload_app) and before any worker is
    forked: import the rest of what a request needs, then freeze what exists.

    Django imports a service's URLconf (its views, serializers, schemas) at the first request,
    so each worker paid for it on its own, one first request taking about half a second of
    CPU, and kept its own copy. Imported here, the workers share it. `gc.freeze()` keeps
    the collector from writing to those shared objects in each worker, which would copy their
    pages into every worker (Python's documentation advises it before a fork).
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - the import is the point
    gc.freeze()
