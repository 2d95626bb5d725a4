"""One OpenAPI document from every service's own.

Paths are already distinct (each service serves ``/api/<service>/v1/...``);
component names are prefixed with the service's name so that two services'
``Unit`` or ``Error`` schemas cannot collide, and every ``$ref`` follows.
"""
from __future__ import annotations

import copy


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
    for service, document in sorted(documents.items()):
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
    return merged
