"""The prod overlays wire Prometheus (deploy/k8s/components/monitoring): every web and worker pod
of the four services is annotated with a port it listens on, Prometheus alone may reach those
ports, and the shipped alert rules and dashboard are in the ConfigMaps as they are in git."""

import pytest
import yaml

from tests.deploy.manifests import (
    K8S,
    SERVICES,
    Workload,
    build,
    env_values,
    named,
    policies_for,
    rules,
)

MONITORING = K8S / "components" / "monitoring"
MONITORED = ("prod", "prod-managed-db")
PORTS = {"web": 8000, "worker": 9100}


def scraped_port(workload: Workload) -> int:
    annotations = workload.template["metadata"].get("annotations", {})
    assert annotations.get("prometheus.io/scrape") == "true", f"{workload}: not scraped"
    assert annotations["prometheus.io/path"] == "/metrics"
    return int(annotations["prometheus.io/port"])


@pytest.mark.parametrize("overlay", MONITORED)
def test_every_web_and_worker_pod_is_scraped_on_the_port_it_serves(overlay: str) -> None:
    docs = build(overlay)
    for service in SERVICES:
        for role, port in PORTS.items():
            workload = Workload(named(docs, "Deployment", f"{service}-{role}"))
            container = workload.container(role)
            assert scraped_port(workload) == port
            assert port in {p["containerPort"] for p in container.get("ports", [])}, workload
            if role == "worker":
                configured = env_values(docs, container)["SHOP_WORKER_METRICS_PORT"]
                assert int(configured) == port, f"{workload} serves on {configured}"
            else:
                pod_ip = {v["name"]: v for v in container["env"]}["DJANGO_POD_IP"]
                assert pod_ip["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
            ingress = rules(policies_for(docs, workload.labels, "Ingress"), "Ingress")
            from_monitoring = [r for r in ingress if "namespaceSelector" in r.peer]
            assert [r.allows(port) for r in from_monitoring] == [True], workload


@pytest.mark.parametrize("overlay", MONITORED)
def test_the_rules_and_the_dashboard_ship_as_they_are_in_git(overlay: str) -> None:
    docs = build(overlay)
    rules_map = named(docs, "ConfigMap", "shop-prometheus-rules")
    dashboard = named(docs, "ConfigMap", "shop-grafana-dashboard")

    assert rules_map["data"]["alerts.yml"] == (MONITORING / "alerts.yml").read_text()
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["data"]["saga-dashboard.json"] == (
        (MONITORING / "saga-dashboard.json").read_text()
    )
    scrape_map = named(docs, "ConfigMap", "shop-prometheus-scrape-config")
    scrape = yaml.safe_load(scrape_map["data"]["scrape-config.yml"])
    targets = {rule.get("target_label") for rule in scrape[0]["relabel_configs"]}
    assert {"service", "role"} <= targets, "the labels the alert rules group by"


def test_dev_is_not_scraped() -> None:
    for doc in build("dev"):
        template = doc.get("spec", {}).get("template", {})
        assert "prometheus.io/scrape" not in template.get("metadata", {}).get("annotations", {})
