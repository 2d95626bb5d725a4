"""Tokens: refused when missing, expired, wrongly signed or from another issuer; scope limits what is seen."""
import time

import jwt
import pytest

from tests.conftest import TEST_SECRET


def _token(**overrides):
    now = int(time.time())
    # a day ahead: the tokens of the parameters are made when the tests are collected, long before some run
    claims = {"sub": "u1", "roles": ["admin"], "iss": "zhibu", "iat": now, "exp": now + 86400}
    claims.update(overrides)
    secret = claims.pop("_secret", TEST_SECRET)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


@pytest.mark.parametrize("token, reason", [
    (_token(exp=int(time.time()) - 3600), "expired"),
    (_token(_secret="another-secret-another-secret-another"), "signature"),
    (_token(iss="somebody-else"), "issuer"),
    (_token(roles=["emperor"]), "roles"),
    (_token(roles=["organizer"]), "scope"),  # only an admin may be province-wide
    ("not.a.jwt", "malformed"),
])
def test_service_refuses_bad_tokens(make_app, token, reason):
    org = make_app("org")
    resp = org.test_client().get("/api/org/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert reason in resp.get_json()["detail"]


@pytest.mark.parametrize("claims", [
    {"exp": "4102444800"},  # 2100-01-01 as a string of digits: PyJWT accepts it as a time
    {"iat": "1"}, {"nbf": "1"}, {"exp": True}, {"iat": [1]},
    {"sub": 5}, {"sub": ""}, {"roles": "admin"}, {"roles": [{"admin": 1}]}, {"roles": [["admin"]]},
    {"scope": {"id": 1}}, {"scope": 5}, {"scope": ""}, {"scope": "K1\u0000"},
], ids=repr)
def test_a_signed_token_with_a_claim_of_the_wrong_type_is_401(make_app, claims):
    org = make_app("org")
    headers = {"Authorization": f"Bearer {_token(**claims)}"}
    for _ in range(2):  # the same answer every time (the gateway caches what verified once)
        resp = org.test_client().get("/api/org/v1/units", headers=headers)
        assert resp.status_code == 401, claims
        assert resp.headers["Content-Type"] == "application/problem+json"


def test_rs256_tokens_from_a_provincial_sso(make_app, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    org = make_app("org", jwt_algorithm="RS256", jwt_public_key=public, jwt_secret="")
    now = int(time.time())
    good = jwt.encode({"sub": "sso-user", "roles": ["admin"], "iss": "zhibu", "iat": now, "exp": now + 60},
                      private, algorithm="RS256")
    forged = _token()  # HS256 with the test secret: not acceptable under RS256
    client = org.test_client()
    assert client.get("/api/org/v1/units", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    assert client.get("/api/org/v1/units", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def build_two_counties(org, auth_headers):
    client = org.test_client()
    admin = auth_headers(org, "admin")

    def unit(kind, code, parent=None):
        body = {"kind": kind, "name": code, "code": code}
        if parent:
            body["parent_id"] = parent
        resp = client.post("/api/org/v1/units", headers=admin, json=body)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["id"]

    province = unit("province", "P")
    city = unit("city", "C", province)
    county_a, county_b = unit("county", "A", city), unit("county", "B", city)
    township_b = unit("township", "B1", county_b)
    return {"province": province, "city": city, "a": county_a, "b": county_b, "b1": township_b}


def test_a_county_token_cannot_read_another_county(make_app, auth_headers):
    org = make_app("org")
    units = build_two_counties(org, auth_headers)
    client = org.test_client()
    county_a = auth_headers(org, "organizer", scope=units["a"])
    assert client.get(f"/api/org/v1/units/{units['a']}", headers=county_a).status_code == 200
    outside = client.get(f"/api/org/v1/units/{units['b1']}", headers=county_a)
    assert outside.status_code == 404
    assert outside.get_json()["detail_en"] == "no such unit"  # the same answer as a unit that does not exist
    listed = client.get("/api/org/v1/units", headers=county_a).get_json()["items"]
    assert [u["id"] for u in listed] == [units["a"]]
    assert client.get(f"/api/org/v1/units?under={units['b']}", headers=county_a).status_code == 404


def test_a_county_token_cannot_create_in_another_county(make_app, auth_headers):
    org = make_app("org")
    units = build_two_counties(org, auth_headers)
    county_a = auth_headers(org, "organizer", scope=units["a"])
    resp = org.test_client().post("/api/org/v1/units", headers=county_a, json={
        "kind": "township", "name": "x", "code": "X", "parent_id": units["b"]})
    assert resp.status_code == 404
    admin = auth_headers(org, "admin")
    codes = [u["code"] for u in org.test_client().get("/api/org/v1/units", headers=admin).get_json()["items"]]
    assert "X" not in codes


def test_a_service_checks_a_token_s_signature_once_until_it_expires(make_app, monkeypatch):
    org = make_app("org")
    verifier = org.extensions["zhibu"].verifier
    checked = []
    verify = verifier.verify
    monkeypatch.setattr(verifier, "leeway", 0)
    monkeypatch.setattr(verifier, "verify", lambda token: checked.append(token) or verify(token))
    fresh, expiring = _token(), _token(exp=int(time.time()) + 1)
    client = org.test_client()
    for token in (fresh, fresh, expiring):
        assert client.get("/api/org/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    time.sleep(1.1)
    refused = client.get("/api/org/v1/units", headers={"Authorization": f"Bearer {expiring}"})
    assert checked[:2] == [fresh, expiring]
    assert refused.status_code == 401
