"""The suite answers the same way wherever one looks (issue 13 item 5): one rule for a body that is not JSON,
one 422 title, ISO 8601 dates, the gender and birth date an ID number gives, the CLI's var/ and --scope,
enumerated values by their Chinese names in exports, the README's defaults as ``zhibu run`` starts them."""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
API = "/api/org/v1"


def test_a_body_not_sent_as_json_and_malformed_json_are_400_saying_so(make_app, auth_headers):
    app = make_app("org")
    client, admin = app.test_client(), auth_headers(app, "admin")
    body = '{"kind": "province", "name": "省委", "code": "P"}'
    for headers, key in (({}, "请求体须以 Content-Type: application/json 发送"),
                         ({"Content-Type": "text/plain"}, "请求体须以 Content-Type: application/json 发送")):
        resp = client.post(f"{API}/units", data=body, headers={**admin, **headers})
        assert resp.status_code == 400
        assert resp.get_json()["detail_zh"].startswith(key)
        assert "application/json" in resp.get_json()["detail_en"]
    resp = client.post(f"{API}/units", data='{"kind": ', headers={**admin, "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.get_json()["detail_zh"].startswith("请求体不是合法的 JSON（第 1 行")
    assert resp.get_json()["title"] == "Bad Request"
    resp = client.post(f"{API}/units", data=body, headers={**admin, "Content-Type": "application/json"})
    assert resp.status_code == 201


def test_every_422_has_one_title(make_app, auth_headers):
    app = make_app("org")
    client, admin = app.test_client(), auth_headers(app, "admin")
    field = client.post(f"{API}/units", json={}, headers=admin)           # flask-smorest's schema error
    raised = client.get(f"{API}/compliance/ORG.BRANCH_MIN_MEMBERS", query_string={"format": "pdf"},
                        headers=admin)                                            # the kit's Problem
    assert field.status_code == 422
    assert raised.status_code == 422
    assert field.get_json()["title"] == "Unprocessable Content"
    assert raised.get_json()["title"] == "Unprocessable Content"


def test_a_date_outside_a_schema_is_iso_8601(make_app):
    app = make_app("org")
    with app.app_context():
        text = app.json.dumps({"since": date(2025, 1, 2), "at": datetime(2025, 1, 2, 3, 4, tzinfo=timezone.utc)})
    assert text == '{"since": "2025-01-02", "at": "2025-01-02T03:04:00+00:00"}'


def test_liaison_figures_carry_iso_dates(make_app, auth_headers):
    from tests.org.conftest import Org

    org = Org(make_app("org"), None)
    org.headers = auth_headers(org.app, "admin")
    county = org.unit("county", org.unit("city", org.unit("province")), name="邹城市委")
    resp = org.post("/leaders", {"unit_id": county["id"], "name": "王书记", "title": "县委书记", "role": "secretary",
                                 "since": "2024-01-01"})
    assert resp.status_code == 201, resp.json
    report = org.get("/compliance", under=county["id"]).json
    liaison = next(r for r in report["rules"] if r["code"] == "ORG.LIAISON")
    page = org.get("/compliance/ORG.LIAISON", under=county["id"]).json
    assert liaison["count"] == 1
    assert page["items"][0]["figures"]["since"] == "2024-01-01"


def test_gender_and_birth_date_come_from_the_id_number_when_absent(make_app, auth_headers):
    from tests.members.conftest import TREE, Tree, id_number

    members = make_app("members")
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    client, county = members.test_client(), auth_headers(members, "organizer", scope=tree.id("a"))
    body = {"unit_id": tree.id("v"), "name": "郑伟", "id_number": id_number("1990-05-06", serial=3, male=False)}
    resp = client.post("/api/members/v1/people", json=body, headers=county)
    assert resp.status_code == 201, resp.json
    assert resp.json["gender"] == "female"
    assert resp.json["birth_date"] == "1990-05-06"
    resp = client.post("/api/members/v1/people", json={"unit_id": tree.id("v"), "name": "无证", "birth_date": "1990-01-01"},
                       headers=county)
    assert resp.status_code == 422
    assert resp.json["errors"]["json"]["gender"] == ["未填身份证号码时必填 / required unless the ID number is given"]


def test_the_compliance_export_shows_kinds_by_their_chinese_names(make_app, auth_headers):
    from tests.org.conftest import Org

    org = Org(make_app("org"), None)
    org.headers = auth_headers(org.app, "admin")
    township = org.unit("township", org.unit("county", org.unit("city", org.unit("province"))))
    org.unit("branch", township)
    resp = org.get("/compliance/ORG.BRANCH_MIN_MEMBERS", under=township["id"], format="csv")
    table = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][2] == "类型"
    assert {row[2] for row in table[1:]} == {"党支部"}


def zhibu(*args, cwd, env):
    return subprocess.run([sys.executable, "-m", "zhibu.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_the_cli_finds_the_suites_var_from_any_directory_and_refuses_a_scope_naming_no_unit(tmp_path):
    from shared.config import SUITE_VAR, var_dir

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIBU_", "ORG_"))}
    env["PYTHONPATH"] = str(ROOT)
    saved = os.environ.pop("ZHIBU_VAR_DIR", None)
    try:
        assert var_dir() == SUITE_VAR == ROOT / "var"
    finally:
        if saved is not None:
            os.environ["ZHIBU_VAR_DIR"] = saved
    # a token minted elsewhere verifies with the suite's own secret
    elsewhere = zhibu("token", "--role", "admin", cwd=tmp_path, env=env)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert not (tmp_path / "var").exists()
    from shared.auth import TokenVerifier
    from shared.config import Config

    saved = os.environ.pop("ZHIBU_VAR_DIR", None)
    try:
        config = Config.from_env("gateway")
    finally:
        if saved is not None:
            os.environ["ZHIBU_VAR_DIR"] = saved
    principal = TokenVerifier(config).principal(f"Bearer {elsewhere.stdout.strip()}")
    assert "admin" in principal.roles
    refused = zhibu("token", "--role", "organizer", "--scope", "not-a-unit", cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "--scope" in refused.stderr
    env["ORG_DATABASE_URL"] = f"sqlite:///{tmp_path / 'org.db'}"
    assert zhibu("migrate", "org", cwd=tmp_path, env=env).returncode == 0
    refused = zhibu("token", "--role", "organizer", "--scope", "00000000-0000-4000-8000-000000000000",
                    cwd=tmp_path, env=env)
    assert refused.returncode == 2
    assert "names no unit" in refused.stderr


def test_the_readme_says_how_many_web_processes_zhibu_run_starts():
    import inspect

    from zhibu.supervisor import start_suite

    default = inspect.signature(start_suite).parameters["workers"].default
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `ZHIBU_WEB_WORKERS`"))
    said = re.search(r"`zhibu run`: (\d+) process a service, (\d+) for the gateway", row)
    assert said is not None, row
    assert said.group(1) == default
    source = inspect.getsource(start_suite)
    assert f'workers if name != "gateway" else "{said.group(2)}"' in source


def test_the_docs_page_lists_the_services_in_the_suites_order():
    from gateway.openapi import merge_documents

    def document(service):
        return {"paths": {f"/api/{service}/v1/x": {"get": {"tags": ["x"], "responses": {}}}},
                "tags": [{"name": "x"}], "components": {}}

    merged = merge_documents({s: document(s) for s in ("webhooks", "evaluation", "training", "members", "org")})
    assert [t["name"].split(" · ")[0] for t in merged["tags"]] == ["org", "members", "training", "evaluation",
                                                                   "webhooks"]
    assert [p.split("/")[2] for p in merged["paths"]] == ["org", "members", "training", "evaluation", "webhooks"]
