"""Writes the kustomize base of Zhibu (deploy/k8s/base/) from the kit's own tables.

    python deploy/k8s/generate.py           # rewrite base/ (commit the result)
    python deploy/k8s/generate.py --check   # exit 1 when base/ is not what this script writes

The services, their ports (``shared.config.SERVICES`` / ``DEFAULT_PORTS``) and the environment
(``ENVIRONMENT`` below) come from one place, so a new service or setting cannot be forgotten in one file and
kept in another; tests/deploy/ checks that base/ is up to date, that every overlay renders with
``kubectl kustomize`` and validates against the Kubernetes API schemas, and that docker-compose.yml
carries the same variables.

Per service: a Deployment for the web process (gunicorn) and one for the worker (outbox relay, event
consumer, daily jobs), a Service for the web port, a HorizontalPodAutoscaler for the web Deployment,
PodDisruptionBudgets for both. The gateway: Deployment, Service, Ingress, HPA, PDB. One migration Job
(``zhibu migrate``), run before a rollout. One ConfigMap and one Secret name feed every process. NetworkPolicies:
nothing reaches a pod unless allowed; only the gateway reaches the services' web ports; only the gateway is
reached from outside the namespace; each process reaches only what it needs outside (DNS, PostgreSQL, RabbitMQ,
Redis). PostgreSQL, RabbitMQ and Redis are brought by the operators (CloudNativePG, the RabbitMQ cluster
operator, ...): the Secret holds their URLs.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared.config import DEFAULT_PORTS, SERVICES  # noqa: E402

BASE = Path(__file__).resolve().parent / "base"
IMAGE = "zhibu"

#: every variable the processes read, with the value the cluster gives it. ``secret`` ones are not in git:
#: the operator creates the Secret ``zhibu-secrets`` with these keys (docs/scale.md, "Deploying").
ENVIRONMENT: dict[str, dict] = {
    # ---- secret: credentials and keys
    **{f"{s.upper()}_DATABASE_URL": {"secret": True, "about": f"{s}'s own PostgreSQL database"} for s in SERVICES},
    "ZHIBU_BROKER_URL": {"secret": True, "about": "RabbitMQ, amqp://user:password@host:5672/vhost"},
    "ZHIBU_JWT_SECRET": {"secret": True, "about": "HS256 signing secret (or use RS256 with ZHIBU_JWT_PUBLIC_KEY)"},
    "ZHIBU_PII_KEY": {"secret": True, "about": "the key encrypting ID numbers and phones at rest"},
    "ZHIBU_RATE_LIMIT_REDIS_URL": {"secret": True, "about": "Redis of the gateway's shared rate limits"},
    "ZHIBU_SMTP_PASSWORD": {"secret": True, "about": "the SMTP server's password for the e-mail digests (webhooks)"},
    # ---- config
    "ZHIBU_JWT_ALGORITHM": {"value": "HS256"},
    "ZHIBU_JWT_ISSUER": {"value": "zhibu"},
    "ZHIBU_JWT_LEEWAY_SECONDS": {"value": "30"},
    "ZHIBU_BUS_NAMESPACE": {"value": "zhibu"},
    "ZHIBU_QUEUE_TYPE": {"value": "quorum", "about": "replicated queues on the RabbitMQ cluster"},
    "ZHIBU_LOG_LEVEL": {"value": "INFO"},
    "ZHIBU_IDEMPOTENCY_TTL_HOURS": {"value": "24"},
    "ZHIBU_CHANGES_RETENTION_DAYS": {"value": "30"},
    "ZHIBU_SMTP_HOST": {"value": "", "about": "the SMTP server of the e-mail digests (empty: none are sent)"},
    "ZHIBU_SMTP_PORT": {"value": "587"},
    "ZHIBU_SMTP_TLS": {"value": "starttls", "about": "starttls, ssl or none"},
    "ZHIBU_SMTP_USER": {"value": ""},
    "ZHIBU_SMTP_FROM": {"value": "", "about": "the digests' sender address"},
    "ZHIBU_PREFETCH": {"value": "50"},
    "ZHIBU_CONSUME_BATCH": {"value": "25", "about": "events a worker applies in one transaction when they queue up"},
    "ZHIBU_MAX_ATTEMPTS": {"value": "5"},
    "ZHIBU_RETRY_BACKOFF_SECONDS": {"value": "0.5"},
    "ZHIBU_RELAY_INTERVAL_SECONDS": {"value": "1.0"},
    "ZHIBU_PUBLISH_IN_WEB": {"value": "true"},
    "ZHIBU_IMPORT_PROCESSES": {"value": "2"},
    "ZHIBU_IMPORT_PARALLEL_BYTES": {"value": str(4 << 20)},
    "ZHIBU_IMPORT_MAX_ROWS": {"value": "2000000"},
    "ZHIBU_IMPORT_POOL_IDLE_SECONDS": {"value": "300"},
    "ZHIBU_IMPORT_ASYNC_BYTES": {"value": str(16 << 20)},
    "ZHIBU_IMPORT_JOB_HEARTBEAT_SECONDS": {"value": "2"},
    "ZHIBU_IMPORT_JOB_LEASE_SECONDS": {"value": "60"},
    "ZHIBU_IMPORT_SPOOL_DIR": {"value": "/tmp", "about": "an import job's file waits in the pod's emptyDir"},
    "ZHIBU_WEB_WORKERS": {"value": "2"},
    "ZHIBU_WEB_THREADS": {"value": "4"},
    "ZHIBU_RATE_LIMIT_PER_SECOND": {"value": "50"},
    "ZHIBU_RATE_LIMIT_BURST": {"value": "100"},
    "ZHIBU_GATEWAY_POOL_SIZE": {"value": "32"},
    "ZHIBU_GATEWAY_UPSTREAM_TIMEOUT": {"value": "60"},
    "ZHIBU_MAX_REQUEST_BYTES": {"value": str(10 << 20)},
    "ZHIBU_MAX_IMPORT_BYTES": {"value": str(512 << 20)},
    "ZHIBU_HOST": {"value": "0.0.0.0"},
    "ZHIBU_VAR_DIR": {"value": "/var/lib/zhibu"},
    "PROMETHEUS_MULTIPROC_DIR": {"value": "/tmp/zhibu-metrics"},
    **{f"{s.upper()}_URL": {"value": f"http://{s}:{DEFAULT_PORTS[s]}", "about": "where the gateway finds it"}
       for s in SERVICES},
}

#: read by the processes but deliberately left out of the ConfigMap: each names a file the operator mounts
#: (or, for the key, an alternative to the secret), or is set per container below
NOT_IN_CONFIGMAP = {
    "ZHIBU_JWT_PUBLIC_KEY": "RS256 only: add it to the Secret with ZHIBU_JWT_ALGORITHM=RS256",
    "ZHIBU_JWT_PUBLIC_KEY_FILE": "RS256 only: a mounted file instead of ZHIBU_JWT_PUBLIC_KEY",
    "ZHIBU_RULES_FILE": "a mounted JSON file of regulation overrides, when a province has any",
    "ZHIBU_CALENDAR_FILE": "a mounted calendar for years the calendar package does not cover",
    "ZHIBU_GATEWAY_CLIENTS_FILE": "a mounted file of registered platforms (gateway only)",
    "ZHIBU_BUS_FOLDER": "the embedded filesystem bus only; the cluster uses RabbitMQ",
    "ZHIBU_BIND": "set by `zhibu web` from ZHIBU_HOST and ZHIBU_PORT",
    "ZHIBU_PORT": "set per web container",
    "ZHIBU_WORKER_HEARTBEAT": "set per worker container (its liveness probe reads it)",
    "ZHIBU_GUNICORN_LOG_LEVEL": "gunicorn's own log level; its default (warning) suits a cluster",
    "ZHIBU_GATEWAY_THREADS": "`zhibu run` only (one machine); the gateway container sets ZHIBU_WEB_THREADS",
    "ZHIBU_GATEWAY_URL": "the target of `zhibu demo`, a command an operator runs, not a process of the suite",
}

#: requests and limits per container (docs/scale.md traces each to docs/benchmarks.md)
RESOURCES = {
    "web": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1536Mi"}},
    "worker": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "768Mi"}},
    "gateway": {"requests": {"cpu": "500m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "512Mi"}},
    "migrate": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
}

HEARTBEAT = "/tmp/worker-alive"
PORT_NAME = "http"
PART = "app.kubernetes.io/part-of"
COMPONENT = "app.kubernetes.io/component"
NAME = "app.kubernetes.io/name"


def labels(name: str, component: str) -> dict:
    return {NAME: name, COMPONENT: component, PART: "zhibu"}


def pod_security() -> dict:
    return {"runAsNonRoot": True, "runAsUser": 999, "runAsGroup": 999, "fsGroup": 999,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]}}


def scratch_volumes() -> tuple[list, list]:
    """/tmp (metrics, heartbeat) and the var folder are the only writable places."""
    volumes = [{"name": "tmp", "emptyDir": {}}, {"name": "var", "emptyDir": {}}]
    mounts = [{"name": "tmp", "mountPath": "/tmp"}, {"name": "var", "mountPath": "/var/lib/zhibu"}]
    return volumes, mounts


def env_from() -> list:
    return [{"configMapRef": {"name": "zhibu-config"}}, {"secretRef": {"name": "zhibu-secrets"}}]


def http_probe(path: str, period: int, failures: int) -> dict:
    return {"httpGet": {"path": path, "port": PORT_NAME}, "periodSeconds": period, "timeoutSeconds": 3,
            "failureThreshold": failures}


def web_deployment(name: str, port: int, component: str, replicas: int) -> dict:
    volumes, mounts = scratch_volumes()
    container = {
        "name": component,
        "image": IMAGE,
        "command": ["zhibu", "web", name],
        "envFrom": env_from(),
        "env": [{"name": "ZHIBU_PORT", "value": str(port)}],
        "ports": [{"name": PORT_NAME, "containerPort": port, "protocol": "TCP"}],
        "startupProbe": http_probe("/healthz", 2, 30),
        "readinessProbe": http_probe("/readyz", 5, 3),
        "livenessProbe": http_probe("/healthz", 10, 3),
        # the endpoint is taken out of the Service before gunicorn stops taking requests
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}}},
        "resources": RESOURCES["gateway" if name == "gateway" else "web"],
        "securityContext": container_security(),
        "volumeMounts": mounts,
    }
    if name == "gateway":
        container["env"].append({"name": "ZHIBU_WEB_THREADS", "value": "16"})
    return deployment(f"{name}-web" if name != "gateway" else "gateway", labels(name, component), replicas,
                      container, volumes, grace=30)


def worker_deployment(service: str) -> dict:
    volumes, mounts = scratch_volumes()
    container = {
        "name": "worker",
        "image": IMAGE,
        "command": ["zhibu", "worker", service],
        "envFrom": env_from(),
        "env": [{"name": "ZHIBU_WORKER_HEARTBEAT", "value": HEARTBEAT}],
        # the relay writes the heartbeat each round (at most 30 s apart while the broker is away)
        "livenessProbe": {"exec": {"command": [
            "python", "-c",
            f"import os,sys,time; sys.exit(time.time() - os.path.getmtime('{HEARTBEAT}') > 90)"]},
            "initialDelaySeconds": 30, "periodSeconds": 30, "timeoutSeconds": 5, "failureThreshold": 3},
        "resources": RESOURCES["worker"],
        "securityContext": container_security(),
        "volumeMounts": mounts,
    }
    return deployment(f"{service}-worker", labels(service, "worker"), 2, container, volumes, grace=45)


def deployment(name: str, pod_labels: dict, replicas: int, container: dict, volumes: list, grace: int) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(pod_labels)},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": {NAME: pod_labels[NAME], COMPONENT: pod_labels[COMPONENT]}},
            # a rolling restart never takes a replica away before its successor is ready
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": dict(pod_labels)},
                "spec": {
                    "securityContext": pod_security(),
                    "terminationGracePeriodSeconds": grace,
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": volumes,
                    "topologySpreadConstraints": [{
                        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": {NAME: pod_labels[NAME],
                                                          COMPONENT: pod_labels[COMPONENT]}}}],
                },
            },
        },
    }


def service(name: str, port: int, component: str) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels(name, component)},
            "spec": {"type": "ClusterIP", "selector": {NAME: name, COMPONENT: component},
                     "ports": [{"name": PORT_NAME, "port": port, "targetPort": PORT_NAME, "protocol": "TCP"}]}}


def hpa(deployment_name: str, component_labels: dict, min_replicas: int, max_replicas: int) -> dict:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": deployment_name, "labels": component_labels},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment_name},
                     "minReplicas": min_replicas, "maxReplicas": max_replicas,
                     "metrics": [{"type": "Resource", "resource": {
                         "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
                     "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}}}}


def pdb(deployment_name: str, component_labels: dict) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": deployment_name, "labels": component_labels},
            "spec": {"maxUnavailable": 1,
                     "selector": {"matchLabels": {NAME: component_labels[NAME],
                                                  COMPONENT: component_labels[COMPONENT]}}}}


def config_map() -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "zhibu-config", "labels": {PART: "zhibu"}},
            "data": {k: v["value"] for k, v in ENVIRONMENT.items() if not v.get("secret")}}


def migrate_job() -> dict:
    volumes, mounts = scratch_volumes()
    job_labels = labels("zhibu", "migrate")
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "zhibu-migrate", "labels": job_labels,
                         # Argo CD and Helm-style runners apply it first and wait for it
                         "annotations": {"argocd.argoproj.io/hook": "PreSync",
                                         "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}},
            "spec": {"backoffLimit": 3, "ttlSecondsAfterFinished": 86400, "template": {
                "metadata": {"labels": job_labels},
                "spec": {"restartPolicy": "Never", "securityContext": pod_security(),
                         "automountServiceAccountToken": False,
                         "containers": [{"name": "migrate", "image": IMAGE, "command": ["zhibu", "migrate"],
                                         "envFrom": env_from(), "resources": RESOURCES["migrate"],
                                         "securityContext": container_security(), "volumeMounts": mounts}],
                         "volumes": volumes}}}}


def ingress() -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "gateway", "labels": labels("gateway", "gateway"),
                         "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "512m",
                                         "nginx.ingress.kubernetes.io/proxy-read-timeout": "120"}},
            "spec": {"rules": [{"http": {"paths": [{
                "path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "gateway", "port": {"name": PORT_NAME}}}}]}}]}}


DNS = {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}
#: the operators' PostgreSQL, RabbitMQ and Redis live outside this namespace at addresses unknown here: egress
#: to them is limited by port; an overlay can narrow ``to`` with their namespaces or address blocks
OUTSIDE = [{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"namespaceSelector": {}}]
POSTGRES, AMQP, REDIS = 5432, 5672, 6379
#: addresses a webhook target never has (private, loopback, link-local, shared): no egress there
PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
                  "100.64.0.0/10"]


def egress(port: int) -> dict:
    return {"to": OUTSIDE, "ports": [{"port": port, "protocol": "TCP"}]}


def network_policies() -> list[dict]:
    by_component = lambda component: {"matchLabels": {COMPONENT: component, PART: "zhibu"}}  # noqa: E731
    gateway_pods = {"matchLabels": {NAME: "gateway", COMPONENT: "gateway"}}
    policies = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "default-deny", "labels": {PART: "zhibu"}},
         # Zhibu's pods only: a dev cluster may run PostgreSQL or RabbitMQ in the same namespace
         "spec": {"podSelector": {"matchLabels": {PART: "zhibu"}}, "policyTypes": ["Ingress", "Egress"]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "gateway", "labels": labels("gateway", "gateway")},
         "spec": {"podSelector": gateway_pods, "policyTypes": ["Ingress", "Egress"],
                  # from the ingress controller (any namespace) to the gateway's port only
                  "ingress": [{"ports": [{"port": PORT_NAME, "protocol": "TCP"}]}],
                  "egress": [DNS, egress(REDIS),
                             {"to": [{"podSelector": by_component("web")}],
                              "ports": [{"port": DEFAULT_PORTS[s], "protocol": "TCP"} for s in SERVICES]}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "web", "labels": {PART: "zhibu", COMPONENT: "web"}},
         # only the gateway reaches a service's web port; a web process publishes after commit (the
         # background publisher) and its /readyz checks the broker, so it reaches RabbitMQ as the workers do
         "spec": {"podSelector": by_component("web"), "policyTypes": ["Ingress", "Egress"],
                  "ingress": [{"from": [{"podSelector": gateway_pods}],
                               "ports": [{"port": PORT_NAME, "protocol": "TCP"}]}],
                  "egress": [DNS, egress(POSTGRES), egress(AMQP)]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "worker", "labels": {PART: "zhibu", COMPONENT: "worker"}},
         "spec": {"podSelector": by_component("worker"), "policyTypes": ["Ingress", "Egress"],
                  "ingress": [], "egress": [DNS, egress(POSTGRES), egress(AMQP)]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "webhooks-targets", "labels": {PART: "zhibu", NAME: "webhooks"}},
         # the webhooks worker delivers (and its web process pings) to the platforms' https endpoints on the
         # internet, never inside the cluster's private ranges (the service refuses those targets as well)
         "spec": {"podSelector": {"matchLabels": {NAME: "webhooks", PART: "zhibu"}}, "policyTypes": ["Egress"],
                  "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": PRIVATE_RANGES}}],
                              "ports": [{"port": 443, "protocol": "TCP"}]}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {"name": "migrate", "labels": {PART: "zhibu", COMPONENT: "migrate"}},
         "spec": {"podSelector": by_component("migrate"), "policyTypes": ["Ingress", "Egress"],
                  "ingress": [], "egress": [DNS, egress(POSTGRES)]}},
    ]
    return policies


def documents() -> dict[str, list[dict]]:
    """file name under base/ -> its resources"""
    files: dict[str, list[dict]] = {
        "config.yaml": [config_map()],
        "migrate-job.yaml": [migrate_job()],
        "network-policies.yaml": network_policies(),
    }
    for name in SERVICES:
        port = DEFAULT_PORTS[name]
        web_labels, worker_labels = labels(name, "web"), labels(name, "worker")
        files[f"{name}.yaml"] = [
            web_deployment(name, port, "web", 2), service(name, port, "web"),
            hpa(f"{name}-web", web_labels, 2, 6), pdb(f"{name}-web", web_labels),
            worker_deployment(name), pdb(f"{name}-worker", worker_labels),
        ]
    gw = labels("gateway", "gateway")
    files["gateway.yaml"] = [web_deployment("gateway", DEFAULT_PORTS["gateway"], "gateway", 2),
                             service("gateway", DEFAULT_PORTS["gateway"], "gateway"), ingress(),
                             hpa("gateway", gw, 2, 8), pdb("gateway", gw)]
    return files


def kustomization(files) -> dict:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "labels": [{"pairs": {PART: "zhibu"}, "includeSelectors": False}],
            "resources": sorted(files)}


HEADER = "# Generated by deploy/k8s/generate.py from shared/config.py; edit that script, not this file.\n"


def render() -> dict[str, str]:
    files = documents()
    out = {name: HEADER + yaml.safe_dump_all(docs, sort_keys=False, width=120) for name, docs in files.items()}
    out["kustomization.yaml"] = HEADER + yaml.safe_dump(kustomization(files), sort_keys=False)
    return out


def main(argv: list[str]) -> int:
    rendered = render()
    if "--check" in argv:
        stale = sorted(n for n, text in rendered.items() if not (BASE / n).exists() or (BASE / n).read_text() != text)
        extra = sorted(p.name for p in BASE.glob("*.yaml") if p.name not in rendered)
        if stale or extra:
            print(f"deploy/k8s/base is out of date: {stale + extra}; run python deploy/k8s/generate.py",
                  file=sys.stderr)
            return 1
        return 0
    BASE.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (BASE / name).write_text(text)
    for path in BASE.glob("*.yaml"):
        if path.name not in rendered:
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
