"""Debian's Prometheus for the suite: the shipped alert rules with their minutes made seconds,
a server of the suite's own (its port, its data directory) and its alerts API."""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests
import yaml

from deploy.local.stack import ROOT
from tests.harness import free_port

MONITORING = ROOT / "deploy" / "k8s" / "components" / "monitoring"
ALERTS = MONITORING / "alerts.yml"
# The test's scale: what is a minute in production is this many seconds here.
TEST_MINUTE_SECONDS = 4


def binary(name: str) -> str:
    found = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(found).exists():
        raise FileNotFoundError(f"{name} is needed: `make test-monitoring` installs `prometheus`")
    return found


def rules_for_test(text: str, seconds: int = TEST_MINUTE_SECONDS) -> str:
    """The shipped rules with every minute in them (`for: 1m`, a `[1m]` window, a `> 60`
    seconds threshold) made `seconds`: the same expressions, on the test's clock."""
    rules = yaml.safe_load(text)
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                assert rule["for"] == "1m", rule
                rule["for"] = f"{seconds}s"
            rule["expr"] = re.sub(r"\[1m\]", f"[{seconds}s]", rule["expr"])
            rule["expr"] = re.sub(r"> 60\b", f"> {seconds}", rule["expr"])
    return yaml.safe_dump(rules)


class Prometheus:
    """A Prometheus server scraping `targets` every second and evaluating `rules` as often."""

    def __init__(self, *, targets: list[dict], rules: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="shop-prometheus-"))
        self.port = free_port()
        (self.directory / "rules.yml").write_text(rules)
        config = {
            "global": {
                "scrape_interval": "1s",
                "evaluation_interval": "1s",
                "scrape_timeout": "1s",
            },
            "rule_files": [str(self.directory / "rules.yml")],
            "scrape_configs": [{"job_name": "shop", "static_configs": targets}],
        }
        (self.directory / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = open(self.directory / "prometheus.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={self.directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.directory / "prometheus.log").read_text()
            try:
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready after 30 s; see {self.directory}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def alerts(self, state: str = "firing") -> set[tuple[str, str]]:
        """(alert name, service) of every alert in `state` (pending or firing)."""
        response = requests.get(f"{self.url}/api/v1/alerts", timeout=5)
        response.raise_for_status()
        return {
            (alert["labels"]["alertname"], alert["labels"].get("service", ""))
            for alert in response.json()["data"]["alerts"]
            if alert["state"] == state
        }

    def targets_up(self) -> dict[tuple[str, str], bool]:
        response = requests.get(f"{self.url}/api/v1/targets", timeout=5)
        response.raise_for_status()
        return {
            (target["labels"]["service"], target["labels"]["role"]): target["health"] == "up"
            for target in response.json()["data"]["activeTargets"]
        }

    def value(self, query: str) -> list[dict]:
        response = requests.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5)
        response.raise_for_status()
        return response.json()["data"]["result"]
