"""Every overlay builds with `kubectl kustomize`, and every object it makes is valid for several
Kubernetes versions (the API's own schemas, strict: an unknown or misspelt field fails)."""

import functools

import pytest
from kubernetes_validate import utils as kubernetes_validate

from tests.deploy.manifests import OVERLAYS, build

# From the oldest minor version still in providers' extended support to the newest release
# kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36", "1.37")

# The package reads its JSON schemas again for every object; once is enough.
kubernetes_validate.schema_contents = functools.cache(kubernetes_validate.schema_contents)


def test_there_are_dev_and_prod_overlays() -> None:
    assert {"dev", "prod"} <= set(OVERLAYS)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_overlay_builds(overlay: str) -> None:
    docs = build(overlay)
    assert docs
    kinds = {doc["kind"] for doc in docs}
    assert {"Namespace", "Deployment", "StatefulSet", "Job", "NetworkPolicy"} <= kinds


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_for_the_kubernetes_version(overlay: str, version: str) -> None:
    failures = []
    for doc in build(overlay):
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            validated = kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            failures.append(f"{name}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            failures.append(f"{name}: {error.message}")
        else:
            assert validated == version, f"{name} was checked against {validated}"
    assert not failures, "\n".join(failures)


def test_an_invalid_object_is_refused() -> None:
    """The validation is strict: a field the API does not know is an error, not ignored."""
    deployment = next(doc for doc in build("dev") if doc["kind"] == "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)
