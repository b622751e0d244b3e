"""The rules every workload of every overlay follows, checked on the built manifests: a service,
a workload or an overlay added without one of them fails here.

Per service (shop.SERVICES): web, worker and relay Deployments, beat where it has
periodic tasks, a Service, a ConfigMap, its Secrets by reference, a migration Job and a gate on
it, probes, resources, autoscaling, disruption budgets, network policies, and pods that run
unprivileged on a read-only root filesystem.
"""

import re

import pytest

from tests.deploy.manifests import (
    APP_COMPONENTS,
    BEAT_SERVICES,
    OVERLAYS,
    README,
    ROOT,
    SERVICES,
    Rule,
    Workload,
    app_workloads,
    build,
    command,
    env_values,
    generated,
    gunicorn_settings,
    image_is_pinned,
    named,
    of_kind,
    policies_for,
    rules,
    secret_refs,
    selects,
    workloads,
)

pytestmark = pytest.mark.parametrize("overlay", OVERLAYS)

# The one other way into a web pod, in the overlays with components/monitoring: Prometheus' pods
# in the monitoring namespace, to the web port (/metrics) and the workers' metrics port.
PROMETHEUS_SCRAPES = Rule(
    peer={
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    },
    ports=frozenset({("TCP", 8000), ("TCP", 9100)}),
)

# Names of values that are secrets: never a literal in a manifest or a ConfigMap.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|_PASS$|TOKEN$|DATABASE_URL|BROKER_URL|EMAIL_URL|DSN$")
QUANTITY = re.compile(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?")
UNITS = {None: 1, "m": 0.001, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
# The Celery hard time limit a worker may need to finish a task (shop/settings.py's default).
DEFAULT_TASK_TIME_LIMIT_SECONDS = 60
SHUTDOWN_MARGIN_SECONDS = 15
# The one writable directory of a container, an emptyDir (not the host's).
WRITABLE_TMP = "/tmp"  # noqa: S108


def quantity(value: str | int) -> float:
    match = QUANTITY.fullmatch(str(value))
    assert match, f"unexpected quantity {value!r}"
    return float(match[1]) * UNITS[match[2]]


def app_image(docs) -> str:
    images = {c["image"] for w in app_workloads(docs) for c in w.containers()}
    assert len(images) == 1, f"the services' processes run more than one image: {images}"
    return images.pop()


def targeted_by_hpa(docs) -> dict[str, dict]:
    return {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa
        for hpa in of_kind(docs, "HorizontalPodAutoscaler")
        if hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    }


# -- what each service has -----------------------------------------------------------------------
def test_every_service_has_its_workloads_service_and_config(overlay: str) -> None:
    docs = build(overlay)
    for service in SERVICES:
        for component in ("web", "worker", "relay"):
            deployment = Workload(named(docs, "Deployment", f"{service}-{component}"))
            assert deployment.service == service and deployment.component == component
        has_beat = any(d["metadata"]["name"] == f"{service}-beat" for d in docs)
        assert has_beat == (service in BEAT_SERVICES), f"{service}: beat"
        web = named(docs, "Service", f"{service}-web")
        assert web["spec"]["type"] == "ClusterIP"
        assert web["spec"]["selector"] == {
            "app.kubernetes.io/name": service,
            "app.kubernetes.io/component": "web",
        }
        assert [port["port"] for port in web["spec"]["ports"]] == [8000]
        config = generated(docs, "ConfigMap", f"{service}-config")["data"]
        assert config["DJANGO_SETTINGS_MODULE"] == f"{service}.settings"
        assert config["DJANGO_STATIC_ROOT"] == f"/app/static/{service}"


def test_the_processes_run_the_local_stacks_commands(overlay: str) -> None:
    docs = build(overlay)
    for service in SERVICES:
        web = command(Workload(named(docs, "Deployment", f"{service}-web")).container("web"))
        assert web[:4] == ["python", "-m", "gunicorn", f"{service}.wsgi:application"]
        settings = gunicorn_settings(web)
        assert settings["worker_class"] == "gthread"
        assert settings["bind"] == ["0.0.0.0:8000"]
        worker = command(
            Workload(named(docs, "Deployment", f"{service}-worker")).container("worker")
        )
        assert worker[:5] == ["python", "-m", "workers", service, "worker"]
        assert "--concurrency" in worker, "Celery would start one process per node core"
        relay = command(Workload(named(docs, "Deployment", f"{service}-relay")).container("relay"))
        assert relay == ["python", "-m", "workers", service, "relay"]
    for service in BEAT_SERVICES:
        beat = command(Workload(named(docs, "Deployment", f"{service}-beat")).container("beat"))
        assert beat == ["python", "-m", "workers", service, "beat"]


def test_every_variable_a_service_reads_is_set_in_the_cluster(overlay: str) -> None:
    """deploy/env/common.env.example and <service>.env.example list every variable the service
    reads: each one is in its pods' environment (ConfigMaps or Secrets), or deliberately left to
    its default."""
    left_to_default = {
        "JWT_KEYS_DIR",  # where development keys are generated; production mounts them
        "SHOP_SSO_COOKIE_SECURE",  # defaults to "not DEBUG": Secure behind TLS
        "DJANGO_POD_IP",  # from the downward API where Prometheus scrapes (components/monitoring)
    }
    docs = build(overlay)
    for service in SERVICES:
        container = Workload(named(docs, "Deployment", f"{service}-web")).container("web")
        present = set(env_values(docs, container)) | {v["name"] for v in container["env"]}
        examples = [ROOT / "deploy" / "env" / f"{name}.env.example" for name in ("common", service)]
        text = "".join(example.read_text() for example in examples)
        variables = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))
        # Inside a service's pods the database is plain DATABASE_URL.
        variables -= {f"{service.upper()}_DATABASE_URL", *left_to_default}
        assert variables <= present, f"{service}: not set: {sorted(variables - present)}"


def test_every_service_runs_the_one_app_image(overlay: str) -> None:
    assert image_is_pinned(app_image(build(overlay)))


# -- migrations ----------------------------------------------------------------------------------
def test_migrations_run_in_a_job_before_new_pods_start(overlay: str) -> None:
    docs = build(overlay)
    for service in SERVICES:
        job = Workload(named(docs, "Job", f"{service}-migrate"))
        (migrate,) = job.containers()
        assert command(migrate) == ["python", "manage.py", service, "migrate", "--noinput"]
        assert job.pod["restartPolicy"] in ("OnFailure", "Never")
        assert job.doc["spec"]["backoffLimit"] >= 3, "the database may start after the Job"
    for workload in app_workloads(docs):
        if workload.kind != "Deployment":
            continue
        gates = [c for c in workload.pod.get("initContainers", []) if "migrate" in str(command(c))]
        assert len(gates) == 1, f"{workload}: no init container waiting for the migrations"
        assert f"manage.py {workload.service} migrate --check" in " ".join(command(gates[0]))


# -- probes --------------------------------------------------------------------------------------
def test_web_pods_probe_their_own_port(overlay: str) -> None:
    docs = build(overlay)
    for workload in app_workloads(docs):
        if workload.component != "web":
            continue
        container = workload.container("web")
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        allowed_hosts = env_values(docs, container)["DJANGO_ALLOWED_HOSTS"].split(",")
        paths = {}
        for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = container.get(probe_name)
            assert probe, f"{workload}: no {probe_name}"
            http = probe["httpGet"]
            assert ports.get(http["port"], http["port"]) == 8000, f"{workload}: {probe_name} port"
            # Django answers 400 to a Host not in ALLOWED_HOSTS, and the kubelet sends the IP.
            hosts = [h["value"] for h in http.get("httpHeaders", []) if h["name"] == "Host"]
            assert hosts and hosts[0] in allowed_hosts, f"{workload}: {probe_name} Host"
            paths[probe_name] = http["path"]
        # Ready: the database and the broker; alive: the process only.
        assert paths == {
            "startupProbe": "/healthz",
            "readinessProbe": "/readyz",
            "livenessProbe": "/healthz",
        }


def test_workers_are_probed_with_a_celery_ping_to_themselves(overlay: str) -> None:
    for workload in app_workloads(build(overlay)):
        if workload.component != "worker":
            continue
        container = workload.container("worker")
        for probe_name in ("startupProbe", "livenessProbe"):
            probe = " ".join(container[probe_name]["exec"]["command"])
            assert "celery -A workers.app inspect ping" in probe
            assert f'--destination "{workload.service}@$HOSTNAME"' in probe
            # The ping's own timeout fits in the probe's.
            timeout = int(re.search(r"--timeout (\d+)", probe)[1])
            assert container[probe_name]["timeoutSeconds"] > timeout


def test_every_long_running_container_is_probed(overlay: str) -> None:
    docs = build(overlay)
    services = of_kind(docs, "Service")
    for workload in workloads(docs):
        if workload.kind == "Job":
            continue
        serves = any(
            service["spec"].get("selector")
            and selects({"matchLabels": service["spec"]["selector"]}, workload.labels)
            for service in services
        )
        for container in workload.containers(init=False):
            assert "livenessProbe" in container, f"{workload}: {container['name']}: liveness"
            if serves:
                assert "readinessProbe" in container, f"{workload}: {container['name']}: readiness"


# -- resources, security -------------------------------------------------------------------------
def test_every_container_has_requests_and_limits(overlay: str) -> None:
    for workload in workloads(build(overlay)):
        for container in workload.containers():
            resources = container.get("resources", {})
            for resource in ("cpu", "memory"):
                request = resources.get("requests", {}).get(resource)
                limit = resources.get("limits", {}).get(resource)
                where = f"{workload}: {container['name']}: {resource}"
                assert request and limit, f"{where}: needs a request and a limit"
                assert quantity(request) <= quantity(limit), f"{where}: request above limit"


def test_every_pod_runs_unprivileged_on_a_read_only_root(overlay: str) -> None:
    for workload in workloads(build(overlay)):
        pod = workload.pod
        assert pod.get("automountServiceAccountToken") is False, f"{workload}: API token"
        assert pod.get("enableServiceLinks") is False, f"{workload}: service links"
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), f"{workload}: host"
        security = pod.get("securityContext", {})
        assert security.get("runAsNonRoot") is True, f"{workload}: runAsNonRoot"
        assert security.get("runAsUser", 0) > 0, f"{workload}: runAsUser"
        assert security.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{workload}"
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        claims = {
            claim["metadata"]["name"]
            for claim in workload.doc["spec"].get("volumeClaimTemplates", [])
        }
        for container in workload.containers():
            where = f"{workload}: {container['name']}"
            context = container.get("securityContext", {})
            assert context.get("allowPrivilegeEscalation") is False, f"{where}: escalation"
            assert context.get("readOnlyRootFilesystem") is True, f"{where}: writable root"
            assert context.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: caps"
            assert not context.get("capabilities", {}).get("add"), f"{where}: added caps"
            assert not context.get("privileged"), f"{where}: privileged"
            assert context.get("runAsUser", 1) != 0, f"{where}: root"
            # What a process writes goes to an emptyDir (or its data volume), never the image.
            mounts = {
                mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])
            }
            assert WRITABLE_TMP in mounts, f"{where}: no writable {WRITABLE_TMP}"
            assert "emptyDir" in volumes[mounts[WRITABLE_TMP]], f"{where}: {WRITABLE_TMP}"
            for mount in container.get("volumeMounts", []):
                name = mount["name"]
                writable = name in claims or "emptyDir" in volumes.get(name, {})
                assert writable or mount.get("readOnly"), f"{where}: {name} mounted writable"


def test_the_namespace_enforces_the_restricted_pod_security_standard(overlay: str) -> None:
    (namespace,) = of_kind(build(overlay), "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_every_image_is_pinned(overlay: str) -> None:
    for workload in workloads(build(overlay)):
        for container in workload.containers():
            assert image_is_pinned(container["image"]), f"{workload}: {container['image']}"


# -- secrets -------------------------------------------------------------------------------------
def test_no_secret_value_is_in_the_manifests(overlay: str) -> None:
    docs = build(overlay)
    assert not of_kind(docs, "Secret"), "Secrets are created in the cluster, never from git"
    for config in of_kind(docs, "ConfigMap"):
        for key in config.get("data", {}):
            assert not SECRET_NAME.search(key), f"ConfigMap {config['metadata']['name']}: {key}"
    for workload in workloads(docs):
        for container in workload.containers():
            for variable in container.get("env", []):
                if SECRET_NAME.search(variable["name"]):
                    assert "value" not in variable, f"{workload}: {variable['name']} inline"
                    assert "secretKeyRef" in variable["valueFrom"], f"{workload}: {variable}"


def test_every_secret_referenced_is_documented(overlay: str) -> None:
    """deploy/README.md tells how to create each Secret the pods need, with each key."""
    readme = README.read_text()
    for workload in workloads(build(overlay)):
        for secret, key in secret_refs(workload):
            secret = re.sub(rf"^({'|'.join(SERVICES)})-", "<service>-", secret)
            assert f"`{secret}`" in readme, f"{workload}: Secret {secret} not documented"
            if key:
                assert key in readme, f"{workload}: key {key} of {secret} not documented"


def test_only_the_users_pods_read_the_private_key(overlay: str) -> None:
    docs = build(overlay)
    for workload in workloads(docs):
        secrets = {name for name, _ in secret_refs(workload)}
        variables = {
            name for container in workload.containers() for name in env_values(docs, container)
        }
        if workload.service == "users":
            assert "jwt-private-key" in secrets, f"{workload}: users settings load the key"
            assert "JWT_PRIVATE_KEY_FILE" in variables
        else:
            assert "jwt-private-key" not in secrets, f"{workload} may read the private key"
            assert "JWT_PRIVATE_KEY_FILE" not in variables, f"{workload}"
        if workload.service:
            assert "jwt-public-key" in secrets, f"{workload}: every service verifies tokens"
            for container in workload.containers():
                (key_file,) = {
                    m["mountPath"]
                    for m in container["volumeMounts"]
                    if workload.secret_volumes().get(m["name"]) == "jwt-public-key"
                }
                assert env_values(docs, container)["JWT_PUBLIC_KEY_FILE"].startswith(key_file)


def test_each_service_reads_its_own_secrets(overlay: str) -> None:
    for workload in app_workloads(build(overlay)):
        for secret, _ in secret_refs(workload):
            owner = secret.split("-", 1)[0]
            assert owner not in SERVICES or owner == workload.service, f"{workload}: {secret}"


# -- scaling and disruption ----------------------------------------------------------------------
def test_web_and_workers_autoscale_and_beat_stays_single(overlay: str) -> None:
    docs = build(overlay)
    hpas = targeted_by_hpa(docs)
    for workload in workloads(docs):
        if workload.kind != "Deployment":
            continue
        if workload.component in ("web", "worker", "gateway"):
            hpa = hpas.get(workload.name)
            assert hpa, f"{workload}: no HorizontalPodAutoscaler"
            assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
            assert "replicas" not in workload.doc["spec"], f"{workload}: the HPA owns replicas"
            for container in workload.containers():
                assert container["resources"]["requests"]["cpu"], "the HPA's CPU is a share of it"
        else:
            assert workload.name not in hpas, f"{workload} must not autoscale"
            assert workload.doc["spec"].get("replicas", 1) >= 1
        if workload.component == "beat":
            assert workload.doc["spec"]["replicas"] == 1, f"{workload}: exactly one beat"
            assert workload.doc["spec"]["strategy"] == {"type": "Recreate"}, f"{workload}"
    assert set(hpas) <= {w.name for w in workloads(docs)}, "an HPA targets nothing"


def test_every_workload_has_a_disruption_budget(overlay: str) -> None:
    docs = build(overlay)
    budgets = of_kind(docs, "PodDisruptionBudget")
    for workload in workloads(docs):
        if workload.kind == "Job":
            continue
        matching = [b for b in budgets if selects(b["spec"]["selector"], workload.labels)]
        assert len(matching) == 1, f"{workload}: {len(matching)} PodDisruptionBudgets"


def test_graceful_shutdown_outlasts_the_work_in_flight(overlay: str) -> None:
    docs = build(overlay)
    for workload in app_workloads(docs):
        pod = workload.pod
        grace = pod.get("terminationGracePeriodSeconds", 30)
        if workload.component == "worker":
            container = workload.container("worker")
            limit = int(
                env_values(docs, container).get(
                    "CELERY_TASK_TIME_LIMIT_SECONDS", DEFAULT_TASK_TIME_LIMIT_SECONDS
                )
            )
            assert grace >= limit + SHUTDOWN_MARGIN_SECONDS, f"{workload}: {grace}s"
        if workload.component == "web":
            container = workload.container("web")
            pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
            assert pre_stop[0] == "sleep", f"{workload}: preStop"
            graceful = gunicorn_settings(command(container))["graceful_timeout"]
            assert grace > int(pre_stop[1]) + graceful, f"{workload}: {grace}s"


# -- network -------------------------------------------------------------------------------------
def pods(docs) -> list[Workload]:
    return workloads(docs)


def test_everything_is_denied_but_dns(overlay: str) -> None:
    docs = build(overlay)
    deny = named(docs, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for workload in pods(docs):
        egress = rules(policies_for(docs, workload.labels, "Egress"), "Egress")
        dns = [r for r in egress if r.allows(53, "UDP") and r.allows(53, "TCP")]
        assert dns, f"{workload}: no DNS"


def test_only_the_gateway_reaches_the_web_pods(overlay: str) -> None:
    docs = build(overlay)
    gateway = Workload(named(docs, "Deployment", "gateway"))
    others = [w for w in pods(docs) if w.name != "gateway"]
    for workload in pods(docs):
        if workload.component != "web":
            continue
        ingress = rules(policies_for(docs, workload.labels, "Ingress"), "Ingress")
        assert ingress, f"{workload}: nobody reaches it"
        for rule in ingress:
            if rule == PROMETHEUS_SCRAPES:
                continue  # its port's /metrics, from the monitoring namespace's Prometheus
            assert rule.reaches_pod(gateway.labels), f"{workload}: {rule}"
            assert not any(rule.reaches_pod(w.labels) for w in others), f"{workload}: {rule}"
            assert rule.ports == {("TCP", 8000)}, f"{workload}: {rule}"
        egress = rules(policies_for(docs, gateway.labels, "Egress"), "Egress")
        assert any(r.reaches_pod(workload.labels) and r.allows(8000) for r in egress)


def test_each_service_reaches_only_its_database_and_rabbitmq(overlay: str) -> None:
    docs = build(overlay)
    databases = {
        w.labels["app.kubernetes.io/instance"]: w for w in pods(docs) if w.component == "database"
    }
    (broker,) = [w for w in pods(docs) if w.component == "broker"]
    managed = not databases
    for workload in app_workloads(docs):
        egress = rules(policies_for(docs, workload.labels, "Egress"), "Egress")
        own = f"{workload.service}-db"
        for instance, database in databases.items():
            reached = any(r.reaches_pod(database.labels) and r.allows(5432) for r in egress)
            assert reached == (instance == own), f"{workload} -> {instance}: {reached}"
        assert any(r.reaches_pod(broker.labels) and r.allows(5672) for r in egress), f"{workload}"
        # Nothing else in the cluster: every pod it may reach is its database or the broker.
        for other in pods(docs):
            if other.name in (own, broker.name):
                continue
            assert not any(r.reaches_pod(other.labels) for r in egress), f"{workload} -> {other}"
        for rule in egress:
            if "ipBlock" not in rule.peer:
                continue
            ports = {port for _, port in rule.ports}
            if workload.service == "users" and workload.component == "worker":
                allowed = {25, 465, 587} | ({5432} if managed else set())
            else:
                allowed = {5432} if managed else set()
            assert ports and ports <= allowed, f"{workload}: egress to addresses {rule}"


def test_databases_and_rabbitmq_take_connections_from_the_services_only(overlay: str) -> None:
    docs = build(overlay)
    for workload in pods(docs):
        if workload.component not in ("database", "broker"):
            continue
        for rule in rules(policies_for(docs, workload.labels, "Ingress"), "Ingress"):
            assert "podSelector" in rule.peer and len(rule.peer) == 1, f"{workload}: {rule}"
            for other in pods(docs):
                if not rule.reaches_pod(other.labels):
                    continue
                if workload.component == "database":
                    owner = workload.labels["app.kubernetes.io/instance"].removesuffix("-db")
                    assert other.service == owner, f"{other} reaches {workload}"
                else:
                    assert other.service or other.component == "broker", f"{other} -> {workload}"


# -- stateful parts ------------------------------------------------------------------------------
def test_rabbitmq_and_the_databases_keep_their_data(overlay: str) -> None:
    docs = build(overlay)
    rabbitmq = named(docs, "StatefulSet", "rabbitmq")
    databases = [s for s in of_kind(docs, "StatefulSet") if s["metadata"]["name"] != "rabbitmq"]
    for statefulset in [rabbitmq, *databases]:
        claims = statefulset["spec"]["volumeClaimTemplates"]
        assert claims and claims[0]["spec"]["accessModes"] == ["ReadWriteOnce"]
    names = sorted(s["metadata"]["name"] for s in databases)
    assert names in ([f"{service}-db" for service in sorted(SERVICES)], []), names
    if overlay in ("dev", "prod"):
        assert names, f"{overlay}: the in-cluster databases are the default"


def test_rabbitmqs_memory_watermark_follows_its_limit(overlay: str) -> None:
    docs = build(overlay)
    container = Workload(named(docs, "StatefulSet", "rabbitmq")).container("rabbitmq")
    config = generated(docs, "ConfigMap", "rabbitmq-config")["data"]["30-memory.conf"]
    total = re.fullmatch(r"total_memory_available_override_value = (\d+)GiB", config.strip())
    assert total, config
    assert quantity(container["resources"]["limits"]["memory"]) == int(total[1]) * 2**30


def test_the_gateway_is_a_load_balanced_deployment(overlay: str) -> None:
    docs = build(overlay)
    service = named(docs, "Service", "gateway")
    assert service["spec"]["type"] == "LoadBalancer"
    # The client's address reaches nginx (rate limits, X-Forwarded-For).
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    gateway = Workload(named(docs, "Deployment", "gateway"))
    assert gateway.labels["app.kubernetes.io/name"] == "gateway"


def test_tls_ends_at_an_ingress_in_front_of_the_gateway(overlay: str) -> None:
    """Every overlay redirects plain http to https (SECURE_SSL_REDIRECT): something must end
    TLS for its public host names, and hand plain http to the gateway."""
    docs = build(overlay)
    ingress = named(docs, "Ingress", "gateway")
    allowed = generated(docs, "ConfigMap", "shop-common")["data"]["DJANGO_ALLOWED_HOSTS"]
    public_hosts = {host for host in allowed.split(",") if host != "localhost"}
    [tls] = ingress["spec"]["tls"]
    assert set(tls["hosts"]) == public_hosts and tls["secretName"]
    for rule in ingress["spec"]["rules"]:
        assert rule["host"] in public_hosts
        [route] = rule["http"]["paths"]
        assert (route["path"], route["pathType"]) == ("/", "Prefix")
        assert route["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}


def test_the_component_labels_are_known(overlay: str) -> None:
    known = {*APP_COMPONENTS, "gateway", "database", "broker"}
    for workload in workloads(build(overlay)):
        assert workload.component in known, f"{workload}: {workload.component}"
        if workload.component in APP_COMPONENTS:
            assert workload.service, f"{workload}: not a service's"
