"""Every message a user can see is Chinese first with English beside it, from the one catalog
(``shared/messages.py``): every error path of every service and of the gateway answers ``detail`` with
``detail_zh`` and ``detail_en``, every field error in Chinese and English; every English text the code raises
as it is has its catalog entry; enumerated values read by their Chinese names; English plurals agree."""
from __future__ import annotations

import ast
import inspect
import json
import uuid
from pathlib import Path

import pytest
from marshmallow import fields as ma_fields
from marshmallow import validate

from shared.config import SERVICES
from shared.messages import CATALOG, PLAIN, TERMS, has_chinese, msg, translate, were
from tests.gateway.conftest import bearer, gateway_for, token, upstream_org  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[2]
#: calls whose text argument a user reads: (the argument positions, keyword)
RAISING = {"invalid": (slice(1, None), None), "Problem": (slice(2, 3), "detail"), "ValidationError": (slice(0, 1), None),
           "problem_response": (slice(2, 3), "detail"), "AuthError": (slice(0, 1), None)}


def texts_raised():
    """Every literal text the suite's code raises to a user: ``(where, text)``; an f-string's holes as ``X``."""
    for path in sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py"), *ROOT.glob("gateway/**/*.py")]):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if name == "not_found":
                for arg in node.args[:1]:
                    if isinstance(arg, ast.Constant):
                        yield where, ("term", arg.value)
                continue
            if name in RAISING:
                positions, keyword = RAISING[name]
                args = list(node.args[positions]) + [k.value for k in node.keywords if k.arg == keyword]
                if name == "invalid":   # members' form: invalid(field=["...", ...])
                    args += [e for k in node.keywords if isinstance(k.value, ast.List) for e in k.value.elts]
            elif any(k.arg == "error" for k in node.keywords) and name in ("Length", "Regexp", "OneOf", "Range"):
                args = [k.value for k in node.keywords if k.arg == "error"]
            else:
                continue
            for arg in args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield where, ("text", arg.value)
                elif isinstance(arg, ast.JoinedStr):
                    yield where, ("text", "".join(v.value if isinstance(v, ast.Constant) else "X" for v in arg.values))


def test_every_text_the_code_raises_has_its_catalog_entry():
    missing, found = [], list(texts_raised())
    assert len(found) > 150   # the scan sees the code's texts
    for where, (kind, text) in found:
        if kind == "term":
            if text not in TERMS:
                missing.append(f"{where}: not_found({text!r}) has no Chinese term")
        elif not has_chinese(text) and translate(text) is None:
            missing.append(f"{where}: {text!r}")
    assert missing == []


def standard_messages():
    """marshmallow's own messages, filled as it fills them."""
    for _, field in inspect.getmembers(ma_fields, inspect.isclass):
        for text in getattr(field, "default_error_messages", {}).values():
            if "{input" in text:
                continue
            yield text.format(obj_type="datetime", awareness="aware", choices="a, b")
    yield validate.OneOf(["a", "b"]).error.format(choices="a, b", labels="a, b")
    for kwargs in ({"min": 1}, {"max": 9}, {"min": 1, "max": 9}, {"min": 1, "min_inclusive": False},
                   {"max": 9, "max_inclusive": False}, {"min": 1, "max": 9, "min_inclusive": False}):
        ranged = validate.Range(**kwargs)
        yield ranged._format_error(5, (ranged.error or (ranged.message_all if "min" in kwargs and "max" in kwargs
                                                        else ranged.message_min if "min" in kwargs
                                                        else ranged.message_max)))
    for kwargs in ({"min": 1}, {"max": 9}, {"min": 1, "max": 9}, {"equal": 3}):
        length = validate.Length(**kwargs)
        message = (length.message_equal if "equal" in kwargs else length.message_all if len(kwargs) == 2
                   else length.message_min if "min" in kwargs else length.message_max)
        yield length._format_error("x", message)
    yield validate.Regexp("a").error
    yield validate.Equal(1).error.format(other=1)


@pytest.mark.parametrize("text", sorted(set(standard_messages())))
def test_marshmallows_standard_messages_read_in_chinese(text):
    found = translate(text)
    assert found is not None, text
    assert has_chinese(found.zh)
    assert found.en == text


def test_every_catalog_entry_has_both_languages_with_the_same_parameters():
    import string

    for key, (zh, en) in CATALOG.items():
        assert has_chinese(zh) or "：" in zh, key
        names = {f for _, f, _, _ in string.Formatter().parse(zh) if f and "zh" not in f}
        assert names <= {f for _, f, _, _ in string.Formatter().parse(en) if f}, key
    for en, zh in PLAIN.items():
        assert has_chinese(zh), en


def test_enumerated_values_read_by_their_chinese_names_and_plurals_agree():
    assert translate("a branch does not elect a committee here").zh == "党支部不在此选举委员会"
    assert translate("no such party group").zh == "没有这个党小组"
    assert were(1, "named") == "1 was named"
    assert were(2, "named") == "2 were named"
    from services.members import rules

    violation = rules.joint_review({"court": "no_objection"}, ["public_security", "court"])
    assert violation.zh == "政审联审缺少以下部门意见：公安机关"
    violation = rules.joint_review({"court": "objection", "public_security": "no_objection"},
                                   ["public_security", "court"])
    assert "court" not in violation.zh and "法院" in violation.zh
    assert rules.sponsors([], None, 1, 2).en.endswith("; 0 were named")


# ----------------------------------------------------------------------------------------------- the walk

def bilingual_problem(resp, status: int, where: str) -> dict:
    assert resp.status_code == status, (where, resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.headers["Content-Type"].startswith("application/problem+json"), where
    body = resp.get_json()
    assert has_chinese(body.get("detail_zh", "")), (where, body)
    assert body.get("detail_en") and not has_chinese(body["detail_en"].replace("留党察看", "")), (where, body)
    assert body["detail"] == f"{body['detail_zh']} / {body['detail_en']}", where
    for message in leaves(body.get("errors")):
        assert has_chinese(message) and " / " in message, (where, message)
    for entry in (body.get("report") or {}).get("errors", []):
        assert has_chinese(entry["message_zh"]) and entry["message_en"], (where, entry)
    return body


def leaves(errors):
    if isinstance(errors, dict):
        for value in errors.values():
            yield from leaves(value)
    elif isinstance(errors, list):
        for value in errors:
            yield from leaves(value)
    elif isinstance(errors, str):
        yield errors


def operations(app):
    doc = app.test_client().get(f"/api/{app.name}/openapi.json").get_json()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.parametrize("service", SERVICES)
def test_every_status_a_service_answers_is_in_both_languages(service, make_app, auth_headers):
    app = make_app(service, max_request_bytes=2048)
    client = app.test_client()
    admin = auth_headers(app, "admin")
    prefix = f"/api/{service}/v1"
    ops = list(operations(app))
    listing = next(path for path, method, op in ops if method == "get" and "{" not in path
                   and not path.endswith("/template") and "audit" not in path)
    item = next(path for path, method, op in ops if method == "get" and path.count("{") == 1
                and path.endswith("}") and "jobs" not in path)
    writes = [(path, method) for path, method, op in ops if method in ("post", "put", "patch")
              and "requestBody" in op and "application/json" in op["requestBody"]["content"] and "{" not in path]
    path, method = writes[0]

    bilingual_problem(client.get(prefix + listing[len(prefix):]), 401, "401 no token")
    bilingual_problem(client.get(listing, headers={"Authorization": "Bearer nonsense"}), 401, "401 bad token")
    scoped = auth_headers(app, "admin")
    bilingual_problem(client.get(f"{prefix}/no-such-path", headers=admin), 404, "404 no route")
    bilingual_problem(client.get(item.replace(item[item.index("{"):item.index("}") + 1], str(uuid.uuid4())),
                                 headers=admin), 404, f"404 {item}")
    bilingual_problem(client.delete(listing, headers=admin), 405, "405")
    bilingual_problem(client.get(listing, query_string={"limit": "many"}, headers=admin), 422, "422 query")
    bilingual_problem(client.open(path, method=method.upper(), json={}, headers=scoped), 422, "422 body")
    bilingual_problem(client.open(path, method=method.upper(), data="{not json", headers={
        **admin, "Content-Type": "application/json"}), 400, "400 malformed JSON")
    bilingual_problem(client.open(path, method=method.upper(), data=json.dumps({"x": "y" * 4000}), headers={
        **admin, "Content-Type": "application/json"}), 413, "413")


def test_the_kits_own_statuses_are_in_both_languages(make_app, auth_headers):
    """403, 409 (rule and conflict), 412, 428, 415 on org, whose calls exercise each."""
    app = make_app("org")
    client = app.test_client()
    admin = auth_headers(app, "admin")
    province = client.post("/api/org/v1/units", json={"kind": "province", "name": "省委", "code": "P"},
                           headers=admin).get_json()
    viewer = auth_headers(app, "organizer", scope=province["id"])
    bilingual_problem(client.get("/api/org/v1/audit", headers=viewer), 403, "403")
    bilingual_problem(client.post("/api/org/v1/units", json={"kind": "branch", "name": "支部", "code": "B"},
                                  headers=admin), 409, "409 rule")
    bilingual_problem(client.post("/api/org/v1/units", json={"kind": "province", "name": "省委", "code": "P"},
                                  headers=admin), 422, "422 code taken")
    bilingual_problem(client.patch(f"/api/org/v1/units/{province['id']}", json={"name": "新名"}, headers=admin),
                      428, "428")
    bilingual_problem(client.patch(f"/api/org/v1/units/{province['id']}", json={"name": "新名"},
                                   headers={**admin, "If-Match": '"stale"'}), 412, "412")
    bilingual_problem(client.post("/api/org/v1/imports", data=b"x", headers={**admin, "Content-Type": "text/plain"}),
                      415, "415")
    body = bilingual_problem(client.post("/api/org/v1/imports", data="code,name,kind\nA,,branch\n".encode(),
                                         headers={**admin, "Content-Type": "text/csv"}), 422, "422 import report")
    assert body["report"]["errors"]


def test_a_database_that_does_not_answer_is_503_in_both_languages(make_app, auth_headers):
    app = make_app("org", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    resp = app.test_client().get("/api/org/v1/units", headers=auth_headers(app, "admin"))
    bilingual_problem(resp, 503, "503")


def test_the_gateways_own_statuses_are_in_both_languages(tmp_path, upstream_org):
    _, url = upstream_org
    gw = gateway_for(tmp_path, {"org": url}, rate_per_second=1, burst=1)
    bilingual_problem(gw.get("/api/org/v1/units"), 401, "gateway 401")
    bilingual_problem(gw.get("/api/nosuch/v1/x", headers=bearer(token())), 404, "gateway 404")
    bilingual_problem(gw.get("/elsewhere", headers=bearer(token())), 404, "gateway no route")
    assert gw.get("/api/org/v1/units", headers=bearer(token(sub="a"))).status_code == 200
    bilingual_problem(gw.get("/api/org/v1/units", headers=bearer(token(sub="a"))), 429, "gateway 429")
    bilingual_problem(gw.get("/api/members/v1/people", headers=bearer(token(sub="b"))), 502, "gateway 502")
    bilingual_problem(gw.post("/auth/token", json={"client_id": "x", "client_secret": "y"}), 401, "gateway token")


def test_messages_made_by_msg_keep_both_languages():
    message = msg("not-found", what="party group")
    assert message.zh == "没有这个党小组"
    assert message.en == "no such party group"
