"""One OpenAPI document from every service's own.

Paths are already distinct (each service serves ``/api/<service>/v1/...``);
component names are prefixed with the service's name so that two services'
``Unit`` or ``Error`` schemas cannot collide, and every ``$ref`` follows.
"""
from __future__ import annotations

import copy

from shared.config import SERVICES


def _rewrite_refs(node, service: str):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/components/"):
                _, _, kind, name = value.split("/", 3)
                out[key] = f"#/components/{kind}/{_prefixed(service, name)}"
            else:
                out[key] = _rewrite_refs(value, service)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, service) for v in node]
    return node


def _prefixed(service: str, name: str) -> str:
    return f"{service}.{name}"


def merge_documents(documents: dict[str, dict]) -> dict:
    merged = {
        "openapi": "3.1.0",
        "info": {"title": "Zhibu API", "version": "v1",
                 "description": "Organization setup, member development, training rotation and star-rating "
                                "evaluation of a province's party branches. Every path needs a Bearer token."},
        "paths": {},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                          "bearerFormat": "JWT"}}},
        "security": [{"bearerAuth": []}],
        "tags": [],
    }
    # the docs page lists the services in the suite's order (org, members, training, evaluation, webhooks)
    order = [s for s in SERVICES if s in documents] + sorted(set(documents) - set(SERVICES))
    for service, document in ((s, documents[s]) for s in order):
        document = copy.deepcopy(document)
        for path, item in document.get("paths", {}).items():
            item = _rewrite_refs(item, service)
            for operation in item.values():
                if isinstance(operation, dict) and "tags" in operation:
                    operation["tags"] = [f"{service} · {tag}" for tag in operation["tags"]]
            merged["paths"][path] = item
        for kind, entries in document.get("components", {}).items():
            if kind == "securitySchemes":
                continue
            target = merged["components"].setdefault(kind, {})
            for name, value in entries.items():
                target[_prefixed(service, name)] = _rewrite_refs(value, service)
        for tag in document.get("tags", []):
            # two services may both have "people" or "imports": the tag names the service too
            merged["tags"].append({**tag, "name": f"{service} · {tag['name']}"})
    _declare_gateway_answers(merged)
    return merged


#: what the gateway itself may answer to any operation, besides what the service declares
GATEWAY_PROBLEMS = {
    "429": ("TooManyRequests", "Too many requests from this token's subject: retry after Retry-After seconds."),
    "502": ("BadGateway", "The service behind the gateway did not answer."),
}


def _declare_gateway_answers(merged: dict) -> None:
    from shared.openapi import PROBLEM_MEDIA_TYPE, PROBLEM_SCHEMA

    components = merged["components"]
    components.setdefault("schemas", {})["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    responses = components.setdefault("responses", {})
    for status, (name, description) in GATEWAY_PROBLEMS.items():
        responses[name] = {"description": description, "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for item in merged["paths"].values():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete") and isinstance(operation, dict):
                for status, (name, _) in GATEWAY_PROBLEMS.items():
                    operation.setdefault("responses", {}).setdefault(status, {"$ref": f"#/components/responses/{name}"})
