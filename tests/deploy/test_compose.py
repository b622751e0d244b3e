"""deploy/docker/compose.yaml runs the whole shop: four databases, RabbitMQ, per service its
migrations, web, worker and relay, beat where there are periodic tasks, and the gateway on
localhost:8000; with the Kubernetes manifests' commands and images."""

import pytest

from tests.deploy.manifests import (
    BEAT_SERVICES,
    SERVICES,
    Workload,
    build,
    command,
    compose,
    image_is_pinned,
    named,
)

APP_IMAGE_STAGE = "app"


def test_compose_names_every_part_of_the_shop() -> None:
    services = compose()["services"]
    expected = {"rabbitmq", "gateway"}
    for service in SERVICES:
        expected |= {f"{service}-{part}" for part in ("db", "migrate", "web", "worker", "relay")}
    expected |= {f"{service}-beat" for service in BEAT_SERVICES}
    assert set(services) == expected


def test_every_image_is_pinned_and_the_services_share_one() -> None:
    services = compose()["services"]
    for name, service in services.items():
        assert image_is_pinned(service["image"]), f"{name}: {service['image']}"
    app = {
        services[name]["image"]
        for name in services
        if name.rsplit("-", 1)[0] in SERVICES and not name.endswith("-db")
    }
    assert len(app) == 1
    for name, service in services.items():
        if service["image"] in app:
            assert service["build"]["target"] == APP_IMAGE_STAGE, name
            assert service["read_only"] is True and service["cap_drop"] == ["ALL"], name


@pytest.mark.parametrize("service", SERVICES)
def test_the_commands_are_the_clusters(service: str) -> None:
    services = compose()["services"]
    docs = build("prod")
    parts = {"web": "Deployment", "worker": "Deployment", "relay": "Deployment", "migrate": "Job"}
    if service in BEAT_SERVICES:
        parts["beat"] = "Deployment"
    for part, kind in parts.items():
        workload = Workload(named(docs, kind, f"{service}-{part}"))
        (container,) = workload.containers(init=False)
        assert services[f"{service}-{part}"]["command"] == command(container), part


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_run_before_the_processes_start(service: str) -> None:
    services = compose()["services"]
    migrate = services[f"{service}-migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {f"{service}-db": {"condition": "service_healthy"}}
    for part in ("web", "worker", "relay", "beat"):
        if part == "beat" and service not in BEAT_SERVICES:
            continue
        depends_on = services[f"{service}-{part}"]["depends_on"]
        assert depends_on[f"{service}-migrate"] == {"condition": "service_completed_successfully"}
        assert depends_on["rabbitmq"] == {"condition": "service_healthy"}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_uses_its_own_database(service: str) -> None:
    services = compose()["services"]
    database = services[f"{service}-db"]
    assert database["environment"]["POSTGRES_DB"] == service
    for part in ("migrate", "web", "worker", "relay"):
        environment = services[f"{service}-{part}"]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == f"{service}.settings"
        assert environment["DATABASE_URL"].endswith(f"@{service}-db:5432/{service}")


def test_only_the_gateway_is_published() -> None:
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"gateway"}
    assert services["gateway"]["ports"] == ["8000:8080"]


def test_workers_get_to_finish_their_tasks() -> None:
    services = compose()["services"]
    for service in SERVICES:
        grace = services[f"{service}-worker"]["stop_grace_period"]
        assert int(grace.removesuffix("s")) >= 75
