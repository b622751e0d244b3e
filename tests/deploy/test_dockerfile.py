"""deploy/docker/Dockerfile: multi-stage, the pinned runtime dependencies only, every service's
code and static files, an unprivileged user, and no build tools in the images that run."""

import json
import re
import tomllib

from tests.deploy.manifests import (
    DOCKER,
    ROOT,
    SERVICES,
    Workload,
    build,
    dockerfile_stages,
    image_is_pinned,
    named,
)

FINAL_STAGES = ("app", "gateway")
BUILD_TOOLS = re.compile(
    r"\b(apt-get|apt|apk|yum|dnf|gcc|g\+\+|cc|make|build-essential|python3?-dev|libpq-dev)\b"
)


def stages():
    return {stage.name: stage for stage in dockerfile_stages()}


def test_it_is_multi_stage_with_pinned_bases() -> None:
    all_stages = dockerfile_stages()
    assert len(all_stages) >= 3
    names = [stage.name for stage in all_stages]
    assert set(FINAL_STAGES) <= set(names)
    for stage in all_stages:
        if stage.image not in names:
            assert image_is_pinned(stage.image), f"{stage.name}: {stage.image}"


def test_the_python_is_the_projects() -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minor = re.search(r">=3\.(\d+)", requires)[1]
    assert re.fullmatch(rf"python:3\.{minor}\.\d+-slim-\w+", stages()["app"].image)


def test_the_images_that_run_have_no_build_tools() -> None:
    for name in FINAL_STAGES:
        stage = stages()[name]
        for command in stage.all("RUN"):
            assert not BUILD_TOOLS.search(command), f"{name}: RUN {command}"
        for source in stage.all("COPY"):
            if source.startswith("--from="):
                origin = source.split()[0].removeprefix("--from=")
                assert origin in ("deps", "build"), f"{name}: COPY {source}"


def test_they_run_as_the_users_the_pods_require() -> None:
    docs = build("prod")
    pods = {
        "app": Workload(named(docs, "Deployment", "orders-web")),
        "gateway": Workload(named(docs, "Deployment", "gateway")),
    }
    for name in FINAL_STAGES:
        user = stages()[name].all("USER")[-1]
        uid, _, gid = user.partition(":")
        assert uid.isdigit() and int(uid) > 0, f"{name}: USER {user}"
        security = pods[name].pod["securityContext"]
        assert (int(uid), int(gid)) == (security["runAsUser"], security["runAsGroup"])


def test_only_the_pinned_runtime_dependencies_are_installed() -> None:
    installs = [run for run in stages()["deps"].all("RUN") if "pip install" in run]
    assert len(installs) == 1
    assert "-c constraints.txt" in installs[0] and "--only-binary=:all:" in installs[0]
    assert "[project]" not in installs[0] and "dev" not in installs[0]
    assert "['project']['dependencies']" in installs[0]


def test_every_runtime_dependency_is_pinned_in_constraints() -> None:
    """The image installs pyproject's dependencies at constraints.txt's versions: one that
    constraints.txt lacks would be whatever version PyPI has on the day of the build."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        re.split(r"==", line)[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement)[0].lower().replace("_", "-")
        assert name in pinned, f"{name} is not pinned in constraints.txt (make lock)"


def test_every_services_code_and_static_files_are_in_the_image() -> None:
    build_stage = stages()["build"]
    copied = {value.split()[0] for value in build_stage.all("COPY")}
    static = " ".join(build_stage.all("RUN"))
    ignore = (DOCKER / "Dockerfile.dockerignore").read_text().splitlines()
    for package in (*SERVICES, "shop", "workers"):
        assert package in copied, f"{package} is not copied"
        assert f"!{package}" in ignore, f"{package} is kept out of the build context"
    loop = re.search(r"for service in ([\w ]+); do", static)
    assert loop and set(loop[1].split()) == set(SERVICES)
    assert "DJANGO_STATIC_ROOT=/app/static/$service" in static
    assert "collectstatic --noinput" in static
    # Static files for the gateway's image, where the rendered routes look for them.
    gateway_copies = stages()["gateway"].all("COPY")
    assert "--from=build /app/static /srv/shop/static" in gateway_copies


def test_no_secret_is_baked_in() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert "DJANGO_SECRET_KEY" not in text
    for stage in dockerfile_stages():
        for value in stage.all("ENV") + stage.all("ARG"):
            assert not re.search(r"SECRET|PASSWORD|TOKEN", value), value
    # collectstatic's throwaway keys stay in the build stage's /tmp.
    assert "rm -rf /tmp/build-var" in " ".join(stages()["build"].all("RUN"))


def test_the_app_image_runs_in_production_mode_by_default() -> None:
    env = " ".join(stages()["app"].all("ENV"))
    assert "DJANGO_ENV=production" in env
    assert json.loads(stages()["app"].all("CMD")[-1])[0] == "python"
