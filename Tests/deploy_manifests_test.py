"""Checks on Deploy/: every YAML file parses, the Kubernetes objects are well formed, compose has
its services, and every trigger of the nightly run (CronJob, systemd timer, README) runs the same
`qianzhuang nightly`.

    python3 -m pytest -q Tests/deploy_manifests_test.py

Needs pytest and PyYAML. When kubectl is on PATH, `kubectl kustomize` must render the overlay.
"""

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "Deploy"
K8S = DEPLOY / "kubernetes"
SYSTEMD = DEPLOY / "systemd"

YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})
K8S_FILES = sorted(p for p in YAML_FILES if p.parent == K8S)

# The budget spelled out in Deploy/kubernetes/deployment.yaml.
MAX_CONNECTIONS = 100
SUPERUSER_RESERVED = 3
OPS_HEADROOM = 10
DEFAULT_POOL_SIZE = 16


def load_all(path):
    with path.open(encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc is not None]


def k8s_objects():
    return {(doc["kind"], doc["metadata"]["name"]): doc for p in K8S_FILES for doc in load_all(p)
            if doc.get("kind") != "Kustomization"}


def unit(path):
    # systemd units allow repeated keys (SystemCallFilter=); keep the last, as lists are not needed here.
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return parser


def nightly_invocation(argv):
    """The words from the binary's basename on, e.g. ['qianzhuang', 'nightly']."""
    words = [Path(argv[0]).name] + list(argv[1:])
    assert words[:2] == ["qianzhuang", "nightly"], f"not a `qianzhuang nightly` invocation: {argv}"
    return words


ONE_SHOT_POOL_SIZE = 2   # DatabaseTarget.resolve's default for commands without --pool-size


def pool_size(args):
    return int(args[args.index("--pool-size") + 1]) if "--pool-size" in args else DEFAULT_POOL_SIZE


def test_found_the_deploy_files():
    names = {p.relative_to(DEPLOY).as_posix() for p in YAML_FILES}
    assert "compose.yaml" in names
    for name in ["namespace", "configmap", "secret.example", "deployment", "service", "pdb",
                 "migrate-job", "nightly-cronjob", "kustomization"]:
        assert f"kubernetes/{name}.yaml" in names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_yaml_parses(path):
    docs = load_all(path)
    assert docs, f"{path} holds no YAML document"
    for doc in docs:
        assert isinstance(doc, dict)


@pytest.mark.parametrize("path", K8S_FILES, ids=lambda p: p.name)
def test_kubernetes_documents_have_api_version_and_kind(path):
    for doc in load_all(path):
        assert isinstance(doc.get("apiVersion"), str) and doc["apiVersion"]
        assert isinstance(doc.get("kind"), str) and doc["kind"]
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"]
            assert doc["metadata"].get("namespace", "qianzhuang") == "qianzhuang"


def test_kustomization_lists_every_manifest_but_the_example_secret():
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    listed = set(kustomization["resources"])
    for name in listed:
        assert (K8S / name).is_file(), f"kustomization lists missing {name}"
    expected = {p.name for p in K8S_FILES} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == expected
    assert "secret.example.yaml" not in listed  # never overwrite the real secret with placeholders


def test_compose_services():
    (compose,) = load_all(DEPLOY / "compose.yaml")
    services = compose["services"]
    assert {"db", "migrate", "api", "nightly"} <= set(services)
    assert services["db"]["image"].startswith("postgres:15")
    assert "healthcheck" in services["db"]
    assert services["migrate"]["command"][0] == "migrate"
    assert services["api"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "DATABASE_URL" in services["api"]["environment"]
    assert any(str(p).endswith(":8080") for p in services["api"]["ports"])
    assert services["nightly"]["profiles"] == ["jobs"]
    assert services["nightly"]["command"] == ["nightly"]


def test_deployment_probes_and_shutdown():
    deployment = k8s_objects()[("Deployment", "qianzhuang-api")]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert spec["replicas"] == 3
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "startupProbe" in container
    assert container["args"][0] == "serve"
    assert pod["terminationGracePeriodSeconds"] == 30
    assert "preStop" in container["lifecycle"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["resources"]["requests"] == {"cpu": "250m", "memory": "128Mi"}
    assert container["resources"]["limits"]["memory"] == "512Mi"
    pdb = k8s_objects()[("PodDisruptionBudget", "qianzhuang-api")]
    assert pdb["spec"]["minAvailable"] == 2


def test_connection_budget():
    objects = k8s_objects()
    deployment = objects[("Deployment", "qianzhuang-api")]["spec"]
    api_args = deployment["template"]["spec"]["containers"][0]["args"]
    surge = int(deployment["strategy"]["rollingUpdate"]["maxSurge"])
    job = objects[("Job", "qianzhuang-migrate")]["spec"]["template"]["spec"]["containers"][0]
    cron = objects[("CronJob", "qianzhuang-nightly")]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    nightly = cron["containers"][0]
    used = ((deployment["replicas"] + surge) * pool_size(api_args)
            + pool_size(nightly.get("command", []) + nightly.get("args", []))
            + ONE_SHOT_POOL_SIZE)   # `migrate` takes no --pool-size: one-shot commands hold at most 2
    assert "--pool-size" not in job.get("args", []), "migrate has no --pool-size option"
    assert used <= MAX_CONNECTIONS - SUPERUSER_RESERVED - OPS_HEADROOM


def test_configmap_disables_in_process_scheduler():
    data = k8s_objects()[("ConfigMap", "qianzhuang-config")]["data"]
    assert data["QZ_NIGHTLY_SCHEDULE"] == ""
    assert data["QZ_TIME_ZONE"] == "Asia/Shanghai"
    assert "LOG_LEVEL" in data


def cronjob_invocation():
    cron = k8s_objects()[("CronJob", "qianzhuang-nightly")]
    assert cron["spec"]["schedule"] == "0 2 * * *"
    assert cron["spec"]["timeZone"] == "Asia/Shanghai"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    return nightly_invocation(container["command"] + container.get("args", []))


def systemd_invocation():
    service = unit(SYSTEMD / "qianzhuang-nightly.service")
    assert service["Service"]["Type"] == "oneshot"
    return nightly_invocation(shlex.split(service["Service"]["ExecStart"]))


def test_cronjob_and_systemd_run_the_same_nightly_command():
    assert cronjob_invocation() == systemd_invocation() == ["qianzhuang", "nightly"]


def test_systemd_timer_fires_at_two_in_shanghai():
    timer = unit(SYSTEMD / "qianzhuang-nightly.timer")["Timer"]
    assert timer["OnCalendar"] == "*-*-* 02:00:00 Asia/Shanghai"
    assert timer["Persistent"] == "true"
    assert timer.get("Unit", "qianzhuang-nightly.service") == "qianzhuang-nightly.service"


def test_systemd_api_unit():
    service = unit(SYSTEMD / "qianzhuang.service")["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == ["/opt/qianzhuang/qianzhuang", "serve"]
    assert service["User"] == "qianzhuang"
    assert service["EnvironmentFile"] == "/etc/qianzhuang/env"
    assert service["KillSignal"] == "SIGTERM"
    assert service["TimeoutStopSec"] == "30"
    assert service["ProtectSystem"] == "strict"
    assert service["NoNewPrivileges"] == "yes"
    env = (SYSTEMD / "env.example").read_text(encoding="utf-8")
    assert re.search(r"^QZ_NIGHTLY_SCHEDULE=$", env, re.M), "env.example must disable the in-process scheduler"


def test_dockerfile_copies_what_exists_and_sets_migrations():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY\s+(?!--from)(\S+)", text, re.M):
        assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert re.search(r"^COPY Migrations /app/Migrations$", text, re.M)
    assert "QZ_MIGRATIONS=/app/Migrations" in text
    assert "--static-swift-stdlib" in text
    assert 'ENTRYPOINT ["/app/qianzhuang"]' in text
    assert re.search(r"^USER \d+", text, re.M), "run as a numeric non-root user"


def test_deploy_readme_documents_the_nightly_command():
    assert "qianzhuang nightly" in (DEPLOY / "README.md").read_text(encoding="utf-8")


def test_root_readme_documents_the_nightly_command():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md at the repository root does not exist yet")
    assert "qianzhuang nightly" in readme.read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_renders():
    out = subprocess.run(["kubectl", "kustomize", str(K8S)], check=True, capture_output=True,
                         text=True, timeout=60).stdout
    kinds = {doc["kind"] for doc in yaml.safe_load_all(out) if doc}
    assert {"Namespace", "ConfigMap", "Job", "Deployment", "Service", "PodDisruptionBudget", "CronJob"} <= kinds
