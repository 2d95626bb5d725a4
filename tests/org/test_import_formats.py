"""The same units as a GBK CSV, a GB18030 CSV, a UTF-8 CSV with a byte-order mark and an XLSX workbook, with
Chinese headers and Chinese names of the kinds and domains, import with identical results; an undeclared GBK
file is refused in both languages; unknown columns are reported."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

import openpyxl
from services.org.models import Unit
from shared.testing import kit_of

from .conftest import API, Org

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["单位编码", "单位名称", "单位类型", "上级单位编码", "所属领域", "成立日期", "外部编号"]


def units(county_code: str, townships: int = 10, branches: int = 9) -> list[dict]:
    out = []
    for t in range(townships):
        code = f"T{t:02d}"
        out.append({"单位编码": code, "单位名称": f"第{t}街道党工委", "单位类型": "乡镇（街道）党（工）委",
                    "上级单位编码": county_code, "所属领域": "", "成立日期": None, "外部编号": f"dt-{t}"})
        for b in range(branches):
            out.append({"单位编码": f"{code}-B{b}", "单位名称": f"郑家{b}村党支部", "单位类型": "党支部",
                        "上级单位编码": code, "所属领域": "农村" if b % 2 else "城市社区",
                        "成立日期": (1990 + b, 1 + b, 1 + t), "外部编号": f"dt-{t}-{b}"})
    return out


def as_csv(rows: list[dict], encoding: str, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([f"{v[0]}/{v[1]}/{v[2]}" if isinstance(v, tuple) else (v or "")
                         for v in (row[h] for h in HEADER)])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def as_xlsx(rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([datetime(*v) if isinstance(v, tuple) else (v or None) for v in (row[h] for h in HEADER)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh(make_app, auth_headers):
    org = Org(make_app("org"), None)
    org.headers = auth_headers(org.app, "admin")
    province = org.unit("province", name="山东省委", code="P")
    city = org.unit("city", province, name="济宁市委", code="C")
    org.unit("county", city, name="邹城市委", code="A")
    return org


def stored(org) -> list[tuple]:
    with kit_of(org.app).db.Session() as session:
        found = list(session.scalars(select(Unit)))
        code_of = {u.id: u.code for u in found}
        return sorted((u.code, u.name, u.kind, code_of.get(u.parent_id), u.domain, u.established_on, u.external_id,
                       u.path.count("/"), u.status) for u in found)


def test_the_same_units_as_gbk_gb18030_utf8_bom_and_xlsx_import_identically(make_app, auth_headers):
    data = units("A")
    files = {
        "gbk csv, declared by charset": (as_csv(data, "gbk"), "text/csv; charset=GBK", {}),
        "gb18030 csv, declared by ?encoding=": (as_csv(data, "gb18030"), "text/csv", {"encoding": "gb18030"}),
        "utf-8 csv with a BOM": (as_csv(data, "utf-8", bom=True), "text/csv", {}),
        "xlsx": (as_xlsx(data), XLSX, {}),
    }
    results = {}
    for name, (body, content_type, query) in files.items():
        org = fresh(make_app, auth_headers)
        resp = org.client.post(f"{API}/imports", data=body, query_string=query,
                               headers={**org.headers, "Content-Type": content_type})
        assert resp.status_code == 201, (name, resp.json)
        assert (resp.json["created"], resp.json["error_count"]) == (100, 0), name
        results[name] = stored(org)
    first = results["xlsx"]
    assert all(found == first for found in results.values())
    branch = next(u for u in first if u[0] == "T03-B5")
    assert branch[1:7] == ("郑家5村党支部", "branch", "T03", "village", datetime(1995, 6, 4).date(), "dt-3-5")


@pytest.mark.parametrize("body", [
    as_csv(units("A", 1, 2), "gbk"),
    "code,name,kind,parent_code\nT1,郑伟,township,A\n".encode("gbk"),        # valid UTF-8, reads '֣ΰ'
], ids=["invalid-utf8", "gbk-that-is-valid-utf8"])
def test_an_undeclared_gbk_file_is_refused_in_both_languages(make_app, auth_headers, body):
    org = fresh(make_app, auth_headers)
    before = stored(org)
    resp = org.client.post(f"{API}/imports", data=body, headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    assert resp.json["type"].endswith("import-encoding")
    assert "charset=gbk" in resp.json["detail_zh"]
    assert "encoding=gb18030" in resp.json["detail_en"]
    assert stored(org) == before


def test_unknown_columns_are_reported_like_members_does(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    body = "单位编码,单位名称,单位类型,上级单位编码,负责人\nT1,某街道,township,A,张三\n".encode()
    resp = org.client.post(f"{API}/imports", data=body, headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    (error,) = resp.json["report"]["errors"]
    assert (error["line"], error["column"], error["value"]) == (1, "负责人", "负责人")
    assert error["message_zh"].startswith("未知的列“负责人”")
    assert error["message_en"].startswith("unknown column")
