"""Production runs RabbitMQ as a three-node cluster (components/rabbitmq-cluster) that keeps a
quorum through a node drain; dev stays one node."""

import pytest

from tests.deploy.manifests import OVERLAYS, Workload, build, generated, named, of_kind, selects

pytestmark = pytest.mark.parametrize("overlay", OVERLAYS)

NODES = 3


def is_production(overlay: str) -> bool:
    return overlay.startswith("prod")


def test_production_runs_three_nodes_started_together(overlay: str) -> None:
    rabbitmq = named(build(overlay), "StatefulSet", "rabbitmq")["spec"]
    if not is_production(overlay):
        assert rabbitmq["replicas"] == 1
        return
    assert rabbitmq["replicas"] == NODES
    assert rabbitmq["podManagementPolicy"] == "Parallel"
    assert rabbitmq["serviceName"] == "rabbitmq-nodes"


def test_a_drain_keeps_a_quorum_of_nodes(overlay: str) -> None:
    docs = build(overlay)
    rabbitmq = Workload(named(docs, "StatefulSet", "rabbitmq"))
    (budget,) = [
        b
        for b in of_kind(docs, "PodDisruptionBudget")
        if selects(b["spec"]["selector"], rabbitmq.labels)
    ]
    assert budget["spec"] == {**budget["spec"], "maxUnavailable": 1}
    if not is_production(overlay):
        return
    replicas = rabbitmq.doc["spec"]["replicas"]
    assert replicas - budget["spec"]["maxUnavailable"] > replicas // 2, "a drain loses the quorum"
    # Never two nodes on one machine: one drain, one node.
    (term,) = rabbitmq.pod["affinity"]["podAntiAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    assert selects(term["labelSelector"], rabbitmq.labels)
    # A stopping node waits until its quorum queues have a quorum without it.
    container = rabbitmq.container("rabbitmq")
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[:2] == ["rabbitmq-upgrade", "await_online_quorum_plus_one"]
    wait = int(pre_stop[pre_stop.index("-t") + 1])
    assert rabbitmq.pod["terminationGracePeriodSeconds"] > wait


def test_the_nodes_find_each_other_by_kubernetes_peer_discovery(overlay: str) -> None:
    docs = build(overlay)
    if not is_production(overlay):
        return
    config = generated(docs, "ConfigMap", "rabbitmq-config")["data"]
    assert "rabbitmq_peer_discovery_k8s" in config["enabled_plugins"]
    assert "cluster_formation.peer_discovery_backend = k8s" in config["40-cluster.conf"]
    rabbitmq = Workload(named(docs, "StatefulSet", "rabbitmq"))
    container = rabbitmq.container("rabbitmq")
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/etc/rabbitmq/enabled_plugins"]["subPath"] == "enabled_plugins"
    assert mounts["/etc/rabbitmq/conf.d/40-cluster.conf"]["subPath"] == "40-cluster.conf"
    # Long node names the peers resolve through the headless Service.
    env = {variable["name"]: variable for variable in container["env"]}
    assert env["RABBITMQ_USE_LONGNAME"]["value"] == "true"
    assert env["RABBITMQ_NODENAME"]["value"] == (
        "rabbit@$(MY_POD_NAME).rabbitmq-nodes.$(MY_POD_NAMESPACE)"
    )
    headless = named(docs, "Service", "rabbitmq-nodes")["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True
    # One Erlang cookie for all nodes, from the Secret, never from git.
    (cookie,) = [v for v in rabbitmq.pod["volumes"] if v["name"] == "erlang-cookie"]
    assert cookie["secret"]["secretName"] == "rabbitmq"
    assert cookie["secret"]["items"] == [{"key": "RABBITMQ_ERLANG_COOKIE", "path": "erlang-cookie"}]
