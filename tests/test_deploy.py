"""Deployment artefacts: docker-compose.yml, the service Dockerfiles, deploy/k8s.

Static checks, no Docker engine or cluster needed: the compose file is validated by a compose
CLI when one is installed (Debian's docker-compose 1.29 works offline), and every artefact is
checked for the facts the services and operators rely on.
"""

from __future__ import annotations

import contextlib
import http.server
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from talentflow.analytics.config import Settings as AnalyticsSettings
from talentflow.ingest.config import Settings as IngestSettings
from talentflow.notify.config import Settings as NotifySettings
from talentflow.screening.config import Settings as ScreeningSettings
from talentflow.selfservice.config import Settings as GatewaySettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"

# folder under services/ (also the compose and Kubernetes name): (package, env prefix, port)
SERVICES: dict[str, tuple[str, str, int]] = {
    "selfservice-api": ("selfservice", "TALENTFLOW_SELFSERVICE_", 8000),
    "ingest": ("ingest", "TALENTFLOW_INGEST_", 8001),
    "screening": ("screening", "TALENTFLOW_SCREENING_", 8002),
    "analytics": ("analytics", "TALENTFLOW_ANALYTICS_", 8003),
    "notify": ("notify", "TALENTFLOW_NOTIFY_", 8004),
}
SETTINGS = (
    "ENVIRONMENT",
    "LOG_LEVEL",
    "DATABASE_URL",
    "KAFKA_BOOTSTRAP",
    "KAFKA_IDEMPOTENCE",
    "AUTH_SECRET",
    "ENCRYPTION_KEY",
)
EXTRA_SETTINGS = {
    "notify": ("SMTP_HOST", "SMTP_PORT", "SMTP_FROM"),
    "selfservice-api": ("INGEST_URL", "SCREENING_URL", "ANALYTICS_URL", "NOTIFY_URL"),
}
# ingest's outbox relay runs as a process of its own, one of it (compose service and Kubernetes
# Deployment of this name); the HTTP processes are told not to run one.
RELAY = "ingest-relay"
RELAY_COMMAND = ["python", "-m", "talentflow.ingest.relay"]
RUN_RELAY = "TALENTFLOW_INGEST_RUN_RELAY"
# The relay serves /healthz, /readyz and /metrics on this port (TALENTFLOW_INGEST_RELAY_PORT).
RELAY_PORT = 8011


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return compose


def _compose_cli() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(  # noqa: S603 - fixed arguments
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


class TestComposeFile:
    def test_compose_cli_validates_the_file(self) -> None:
        cli = _compose_cli()
        if cli is None:
            pytest.skip("neither `docker compose` nor `docker-compose` is installed")
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [*cli, "-f", str(COMPOSE_FILE), "config", "-q"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr or result.stdout

    def test_images_are_pinned_docker_hub_short_names(self) -> None:
        for name, service in _compose()["services"].items():
            image = service.get("image")
            if image is None:
                assert "build" in service, name
                continue
            repository, _, tag = image.rpartition(":")
            assert repository and tag and tag != "latest", f"{name}: pin a tag: {image}"
            first = repository.split("/")[0]
            assert "." not in first and ":" not in first, f"{name}: registry host in {image}"

    def test_infrastructure(self) -> None:
        services = _compose()["services"]
        assert services["kafka"]["image"].startswith("apache/kafka:")
        assert services["postgres"]["image"] == "postgres:17-alpine"
        assert services["mailpit"]["image"].startswith("axllent/mailpit:")
        assert "8025:8025" in services["mailpit"]["ports"]
        assert "kafka-broker-api-versions.sh" in json.dumps(services["kafka"]["healthcheck"])
        assert "pg_isready" in json.dumps(services["postgres"]["healthcheck"])
        for name in ("kafka", "postgres", "mailpit"):
            assert services[name]["healthcheck"]["test"], name

    @pytest.mark.parametrize("svc", SERVICES)
    def test_service_is_built_from_its_dockerfile(self, svc: str) -> None:
        build = _compose()["services"][svc]["build"]
        context = (COMPOSE_FILE.parent / build["context"]).resolve()
        assert context == ROOT, "images are built from the repository root"
        assert build["dockerfile"] == f"services/{svc}/Dockerfile"
        assert (context / build["dockerfile"]).is_file()

    @pytest.mark.parametrize("svc", SERVICES)
    def test_service_waits_for_healthy_infrastructure_and_its_migration(self, svc: str) -> None:
        package, _, _ = SERVICES[svc]
        services = _compose()["services"]
        depends_on = services[svc]["depends_on"]
        assert depends_on["kafka"]["condition"] == "service_healthy"
        assert depends_on["postgres"]["condition"] == "service_healthy"
        migrations = [
            name
            for name, dep in depends_on.items()
            if dep["condition"] == "service_completed_successfully"
        ]
        assert len(migrations) == 1, depends_on
        migrate = services[migrations[0]]
        assert migrate["command"] == ["python", "-m", f"talentflow.{package}", "migrate"]
        assert migrate["build"] == services[svc]["build"]
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert migrate.get("restart", "no") == "no"

    @pytest.mark.parametrize("svc", SERVICES)
    def test_service_publishes_its_port_and_checks_its_health(self, svc: str) -> None:
        _, _, port = SERVICES[svc]
        service = _compose()["services"][svc]
        assert service["ports"] == [f"{port}:{port}"]
        test = " ".join(service["healthcheck"]["test"])
        assert re.search(rf"127\.0\.0\.1:{port}/(healthz|readyz)", test), test
        assert "curl" not in test and "wget" not in test, "slim images have neither"

    @pytest.mark.parametrize("svc", SERVICES)
    def test_service_settings_use_its_prefix(self, svc: str) -> None:
        _, prefix, _ = SERVICES[svc]
        env = _compose()["services"][svc]["environment"]
        for key in (*SETTINGS, *EXTRA_SETTINGS.get(svc, ())):
            assert prefix + key in env, prefix + key
        assert env[prefix + "ENVIRONMENT"] == "development"
        assert env[prefix + "KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert env[prefix + "KAFKA_IDEMPOTENCE"] == "true"
        assert "@postgres:5432/" in env[prefix + "DATABASE_URL"]
        foreign = [k for k in env if k.startswith("TALENTFLOW_") and not k.startswith(prefix)]
        assert not foreign, foreign

    def test_ingest_http_leaves_the_outbox_to_the_relay_service(self) -> None:
        services = _compose()["services"]
        assert services["ingest"]["environment"][RUN_RELAY] == "false"
        relays = [name for name, s in services.items() if s.get("command") == RELAY_COMMAND]
        assert relays == [RELAY], "exactly one relay service"
        assert "scale" not in services[RELAY] and "replicas" not in services[RELAY].get(
            "deploy", {}
        ), "one relay keeps each candidate's events in order"

    def test_relay_service_runs_the_ingest_image_with_its_settings(self) -> None:
        services = _compose()["services"]
        relay, ingest = services[RELAY], services["ingest"]
        assert relay["build"] == ingest["build"]
        assert relay["command"] == RELAY_COMMAND
        assert relay["restart"] == ingest["restart"] == "unless-stopped"
        http_env = {k: v for k, v in ingest["environment"].items() if k != RUN_RELAY}
        assert relay["environment"] == http_env
        assert relay["environment"].get(RUN_RELAY, "true") != "false"

    def test_relay_service_waits_like_ingest_and_checks_its_own_port(self) -> None:
        services = _compose()["services"]
        relay, ingest = services[RELAY], services["ingest"]
        assert relay["depends_on"] == ingest["depends_on"]
        assert relay["depends_on"]["migrate-ingest"]["condition"] == (
            "service_completed_successfully"
        )
        assert relay["ports"] == [f"{RELAY_PORT}:{RELAY_PORT}"]
        # The image's HEALTHCHECK asks ingest's HTTP port (8001) unless told otherwise: the
        # relay's asks its own.
        check = relay["healthcheck"]
        assert "disable" not in check
        test = " ".join(check["test"])
        assert f"127.0.0.1:{RELAY_PORT}/readyz" in test, test
        assert "curl" not in test and "wget" not in test, "slim images have neither"
        timings = {k: v for k, v in ingest["healthcheck"].items() if k != "test"}
        assert {k: v for k, v in check.items() if k != "test"} == timings
        # Its shutdown drains the outbox (bounded to ~10 s); compose's default is 10 s.
        assert relay["stop_grace_period"] == "30s"

    def test_relay_port_is_the_settings_default(self) -> None:
        from talentflow.ingest.config import Settings

        assert Settings.model_fields["relay_port"].default == RELAY_PORT


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    pairs = []
    for line in filter(str.strip, logical):
        keyword, _, rest = line.strip().partition(" ")
        pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    instructions = _instructions(dockerfile)
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


class TestDockerfiles:
    @pytest.mark.parametrize("svc", SERVICES)
    def test_multi_stage_on_slim_python(self, svc: str) -> None:
        instructions = _instructions(ROOT / "services" / svc / "Dockerfile")
        args = dict(
            rest.split("=", 1) for keyword, rest in instructions if keyword == "ARG" and "=" in rest
        )
        bases = [rest.split()[0] for keyword, rest in instructions if keyword == "FROM"]
        resolved = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], b) for b in bases]
        assert len(resolved) >= 2, "builder and runtime stages"
        assert re.fullmatch(r"python:3\.1[12]-slim", resolved[-1]), resolved

    @pytest.mark.parametrize("svc", SERVICES)
    def test_installs_common_and_the_service_with_the_pins(self, svc: str) -> None:
        runs = " ".join(
            r for k, r in _instructions(ROOT / "services" / svc / "Dockerfile") if k == "RUN"
        )
        install = re.search(r"pip install [^&]*", runs)
        assert install, runs
        for part in ("-c constraints.txt", "./libs/common", f"./services/{svc}"):
            assert part in install.group(0), install.group(0)
        assert " -e " not in install.group(0)

    @pytest.mark.parametrize("svc", SERVICES)
    def test_copies_only_existing_sources_from_the_repository_root(self, svc: str) -> None:
        ignored = {
            line.strip()
            for line in (ROOT / ".dockerignore").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        }
        copies = [
            r
            for k, r in _instructions(ROOT / "services" / svc / "Dockerfile")
            if k == "COPY" and not r.startswith("--from")
        ]
        assert copies
        for copy in copies:
            *sources, _destination = copy.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert source.split("/")[0] not in ignored, f"{source} is in .dockerignore"

    @pytest.mark.parametrize("svc", SERVICES)
    def test_runtime_is_non_root_healthchecked_and_serves(self, svc: str) -> None:
        package, _, port = SERVICES[svc]
        final = _final_stage(ROOT / "services" / svc / "Dockerfile")
        users = [rest for keyword, rest in final if keyword == "USER"]
        assert users, "the runtime stage must set USER"
        assert users[-1].split(":")[0] not in ("root", "0"), users[-1]
        checks = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
        assert len(checks) == 1
        assert "/healthz" in checks[0] and "urllib" in checks[0]
        exposed = [rest for keyword, rest in final if keyword == "EXPOSE"]
        relay = f" {RELAY_PORT}" if svc == "ingest" else ""  # the relay's operations routes
        assert exposed == [f"{port}{relay}"]
        cmd = [rest for keyword, rest in final if keyword == "CMD"]
        assert json.loads(cmd[-1]) == ["python", "-m", f"talentflow.{package}", "serve"]


class TestIngestImageHealthcheck:
    """The ingest image runs two commands (the HTTP server, the outbox relay) on two ports."""

    def check(self) -> str:
        final = _final_stage(ROOT / "services" / "ingest" / "Dockerfile")
        (check,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
        return check

    def command(self) -> list[str]:
        argv = shlex.split(self.check().split(" CMD ", 1)[1])
        assert argv[:2] == ["python", "-c"]
        return [sys.executable, *argv[1:]]

    def run(self, port: int | None) -> int:
        env = {k: v for k, v in os.environ.items() if k != "HEALTHCHECK_PORT"}
        if port is not None:
            env["HEALTHCHECK_PORT"] = str(port)
        done = subprocess.run(self.command(), env=env, capture_output=True, timeout=30)  # noqa: S603 - the Dockerfile's own check
        return done.returncode

    def test_asks_the_port_it_is_given(self) -> None:
        with _healthz_server() as port:
            assert self.run(port) == 0
        assert self.run(port) != 0  # nothing answers there any more

    def test_asks_ingest_http_port_by_default(self) -> None:
        assert "'HEALTHCHECK_PORT', '8001'" in self.check()


@contextlib.contextmanager
def _healthz_server() -> Iterator[int]:
    class Healthz(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path, doc))
    return docs


def _of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for _, d in _k8s_documents() if d.get("kind") == kind}


class TestKubernetes:
    def test_every_manifest_parses_and_names_its_kind(self) -> None:
        docs = _k8s_documents()
        assert docs
        for path, doc in docs:
            assert doc.get("apiVersion") and doc.get("kind"), path.name

    def test_kustomization_lists_every_manifest_but_the_secret_template(self) -> None:
        kustomization = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
        listed = set(kustomization["resources"])
        manifests = {
            p.name
            for p in K8S_DIR.glob("*.yaml")
            if p.name != "kustomization.yaml" and not p.name.endswith(".example.yaml")
        }
        assert listed == manifests
        assert kustomization["namespace"] == "talentflow"
        secret = yaml.safe_load((K8S_DIR / "secret.example.yaml").read_text())
        assert all("REPLACE_ME" in v for v in secret["stringData"].values())

    def test_kustomize_renders(self) -> None:
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            pytest.skip("kubectl is not installed")
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [kubectl, "kustomize", str(K8S_DIR)], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        docs = [d for d in yaml.safe_load_all(result.stdout) if d]
        deployments = [d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"]
        assert sorted(deployments) == sorted([*SERVICES, RELAY])

    def test_every_deployment_probes_and_runs_as_non_root(self) -> None:
        deployments = _of_kind("Deployment")
        assert deployments
        for name, deployment in deployments.items():
            pod = deployment["spec"]["template"]["spec"]
            for container in pod["containers"]:
                assert container["resources"]["requests"] and container["resources"]["limits"]
                ports = {p.get("name") for p in container["ports"]} | {
                    p["containerPort"] for p in container["ports"]
                }
                for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
                    get = container[probe]["httpGet"]
                    assert get["path"] == path, (name, probe)
                    assert get["port"] in ports, (name, probe)
            for container in pod["containers"] + pod.get("initContainers", []):
                context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
                assert context.get("runAsNonRoot") is True, (name, container["name"])
                assert context.get("allowPrivilegeEscalation") is False, (name, container["name"])

    @pytest.mark.parametrize("svc", SERVICES)
    def test_service_deployment_migrates_then_serves_on_its_port(self, svc: str) -> None:
        package, prefix, port = SERVICES[svc]
        pod = _of_kind("Deployment")[svc]["spec"]["template"]["spec"]
        (init,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert init["command"] == ["python", "-m", f"talentflow.{package}", "migrate"]
        assert main["command"] == ["python", "-m", f"talentflow.{package}", "serve"]
        assert init["image"] == main["image"] == f"talentflow-{svc}"
        assert [p["containerPort"] for p in main["ports"]] == [port]
        for container in (init, main):
            assert {source["prefix"] for source in container["envFrom"]} == {prefix}
        (service_port,) = _of_kind("Service")[svc]["spec"]["ports"]
        assert service_port["port"] == port

    def test_ingest_http_pods_leave_the_outbox_to_the_relay(self) -> None:
        (main,) = _of_kind("Deployment")["ingest"]["spec"]["template"]["spec"]["containers"]
        assert {"name": RUN_RELAY, "value": "false"} in main["env"]
        assert [e["name"] for e in main["env"]].count(RUN_RELAY) == 1
        assert {source["prefix"] for source in main["envFrom"]} == {"TALENTFLOW_INGEST_"}

    def test_exactly_one_relay_and_rollouts_never_overlap_two(self) -> None:
        deployments = _of_kind("Deployment")
        relays = [
            name
            for name, d in deployments.items()
            for c in d["spec"]["template"]["spec"]["containers"]
            if c["command"] == RELAY_COMMAND
        ]
        assert relays == [RELAY]
        assert importlib.util.find_spec("talentflow.ingest.relay") is not None
        spec = deployments[RELAY]["spec"]
        assert spec["replicas"] == 1
        assert spec["strategy"] == {"type": "Recreate"}
        for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
            targets = [json.dumps(d["spec"]) for d in _of_kind(kind).values()]
            assert not [t for t in targets if RELAY in t], kind

    def test_relay_deployment_is_one_pod_probed_on_its_own_port(self) -> None:
        deployments = _of_kind("Deployment")
        pod = deployments[RELAY]["spec"]["template"]["spec"]
        http = deployments["ingest"]["spec"]["template"]["spec"]
        (relay,) = pod["containers"]
        (main,) = http["containers"]
        assert relay["command"] == RELAY_COMMAND
        assert relay["image"] == main["image"] == "talentflow-ingest"
        assert relay["envFrom"] == main["envFrom"]
        assert RUN_RELAY not in {e["name"] for e in relay.get("env", [])}
        assert relay["ports"] == [{"name": "http", "containerPort": RELAY_PORT, "protocol": "TCP"}]
        # Probed like the HTTP pods: /healthz (startup, liveness), /readyz (readiness).
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert relay[probe] == main[probe], probe
        assert relay["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert relay["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        # Whatever scrape annotations the HTTP pods carry, the relay's /metrics gets them too.
        annotations = deployments[RELAY]["spec"]["template"]["metadata"].get("annotations", {})
        http_annotations = deployments["ingest"]["spec"]["template"]["metadata"].get(
            "annotations", {}
        )
        for key in http_annotations:
            if key.startswith("prometheus.io/"):
                assert key in annotations, key
        assert relay["securityContext"] == main["securityContext"]
        assert pod["securityContext"] == http["securityContext"]
        assert relay["volumeMounts"] == main["volumeMounts"] and pod["volumes"] == http["volumes"]
        # SIGTERM: it ends its batch and drains the outbox, each bounded to 5 s.
        assert pod["terminationGracePeriodSeconds"] >= 15

    def test_relay_pods_are_no_part_of_the_ingest_service(self) -> None:
        deployments = _of_kind("Deployment")
        relay_labels = deployments[RELAY]["spec"]["template"]["metadata"]["labels"]
        selector = deployments[RELAY]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= relay_labels.items()
        selectors = [
            deployments["ingest"]["spec"]["selector"]["matchLabels"],
            _of_kind("Service")["ingest"]["spec"]["selector"],
            _of_kind("PodDisruptionBudget")["ingest"]["spec"]["selector"]["matchLabels"],
        ]
        for other in selectors:
            assert not other.items() <= relay_labels.items(), other
        ingest_labels = deployments["ingest"]["spec"]["template"]["metadata"]["labels"]
        assert not selector.items() <= ingest_labels.items()
        assert RELAY not in _of_kind("Service")

    def test_every_setting_the_manifests_pass_is_one_the_service_reads(self) -> None:
        """extra="ignore" lets a misspelt variable pass silently: every ConfigMap and Secret
        key a container imports, and every TALENTFLOW_ variable it sets, must name a field of
        the Settings class its prefix belongs to."""
        settings = {
            cls.model_config["env_prefix"]: cls
            for cls in (
                AnalyticsSettings,
                IngestSettings,
                NotifySettings,
                ScreeningSettings,
                GatewaySettings,
            )
        }
        maps = {**_of_kind("ConfigMap"), **_of_kind("Secret")}
        checked = 0
        for deployment in _of_kind("Deployment").values():
            pod = deployment["spec"]["template"]["spec"]
            for container in pod.get("initContainers", []) + pod["containers"]:
                names = [e["name"] for e in container.get("env", [])]
                for source in container.get("envFrom", []):
                    ref = source.get("configMapRef") or source.get("secretRef")
                    values = maps[ref["name"]].get("data") or maps[ref["name"]]["stringData"]
                    names += [source["prefix"] + key for key in values]
                for name in names:
                    prefix = next((p for p in settings if name.startswith(p)), None)
                    assert prefix is not None, (deployment["metadata"]["name"], name)
                    field = name.removeprefix(prefix).lower()
                    assert field in settings[prefix].model_fields, (prefix, name)
                    checked += 1
        assert checked > 50

    def test_ingress_exposes_only_the_gateway_and_the_webhooks(self) -> None:
        routes = {
            (path["path"], path["backend"]["service"]["name"])
            for ingress in _of_kind("Ingress").values()
            for rule in ingress["spec"]["rules"]
            for path in rule["http"]["paths"]
        }
        assert routes == {
            ("/", "selfservice-api"),
            ("/v1/imports", "selfservice-api"),
            ("/v1/webhooks", "ingest"),
        }

    def test_the_controller_lets_imports_stream_and_bodies_reach_the_services_limits(
        self,
    ) -> None:
        """ingress-nginx refuses bodies over 1m and buffers them whole by default: an import
        file would be 413 before the gateway, and a 1 MiB webhook too."""
        ingresses = _of_kind("Ingress")
        imports = ingresses["talentflow-imports"]["metadata"]["annotations"]
        assert imports["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
        assert imports["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "off"
        gateway_timeout = GatewaySettings.model_fields["upstream_streaming_timeout_s"].default
        for name in ("proxy-read-timeout", "proxy-send-timeout"):
            assert int(imports[f"nginx.ingress.kubernetes.io/{name}"]) > gateway_timeout
        general = ingresses["talentflow"]["metadata"]["annotations"]
        size = general["nginx.ingress.kubernetes.io/proxy-body-size"]
        limits = (
            IngestSettings.model_fields["webhook_max_body_bytes"].default,
            IngestSettings.model_fields["api_max_body_bytes"].default,
            GatewaySettings.model_fields["api_max_body_bytes"].default,
        )
        assert size.endswith("m") and int(size[:-1]) * 2**20 > max(limits)
