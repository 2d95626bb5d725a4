"""The files officials actually have: the same 1,000 people as a GBK CSV (declared), a GB18030 CSV, a UTF-8 CSV
with a byte-order mark as Excel saves it, and an XLSX workbook, all with Chinese headers, import with identical
results; an undeclared GBK file is refused in both languages and nothing is stored garbled."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from sqlalchemy import select

from services.members.models import Person
from shared.testing import auth, kit_of

from .conftest import TREE, Tree, id_number

IMPORTS = "/api/members/v1/imports"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["姓名", "身份证号码", "性别", "民族", "学历", "联系电话", "单位编码", "人员类别", "申请入党日期",
          "确定为入党积极分子日期", "确定为发展对象日期", "接收为预备党员日期", "转为正式党员日期"]
SURNAMES = "郑王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "玉兰", "国强", "淑珍", "德明", "晓燕", "红梅"]
ETHNIC = ["汉族", "汉族", "汉族", "回族", "满族", "蒙古族", "壮族", "维吾尔族"]
EDUCATION = ["大学本科", "大学专科", "高中", "研究生", "初中"]


def people(n: int) -> list[dict]:
    out = []
    for i in range(n):
        born = f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        year = 1950 + i % 50
        out.append({
            "姓名": SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES) % len(GIVEN)],
            "身份证号码": id_number(born, serial=i % 1000, male=i % 3 != 0, region=f"37{i // 1000 % 100:02d}01"),
            "性别": "男" if i % 3 else "女", "民族": ETHNIC[i % len(ETHNIC)], "学历": EDUCATION[i % len(EDUCATION)],
            "联系电话": f"138{i:08d}", "单位编码": "code-v" if i % 2 else "code-b2", "人员类别": "正式党员",
            "申请入党日期": (year + 20, 3, 1), "确定为入党积极分子日期": (year + 20, 6, 1),
            "确定为发展对象日期": (year + 21, 7, 1), "接收为预备党员日期": (year + 21, 9, 1),
            "转为正式党员日期": (year + 22, 9, 1)})
    return out


def cell_text(value) -> str:
    return f"{value[0]}/{value[1]}/{value[2]}" if isinstance(value, tuple) else value   # Excel's CSV dates


def as_csv(rows: list[dict], encoding: str, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")                                 # as Excel writes it
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([cell_text(row[h]) for h in HEADER])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def as_xlsx(rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([datetime(*row[h]) if isinstance(row[h], tuple) else row[h] for h in HEADER])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fresh(make_app, **overrides):
    members = make_app("members", **overrides)
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    return members, tree, auth(members, "organizer", scope=tree.id("a"))


def stored(members) -> list[tuple]:
    """What the import wrote, without the row ids: the same people the same way, whatever the file."""
    with kit_of(members).db.Session() as s:
        return sorted((p.name, p.gender, p.ethnicity, p.education, p.birth_date, p.id_number_hash, p.phone_masked,
                       p.stage, p.applied_on, p.activist_since, p.target_since, p.probationary_since,
                       p.full_member_since, p.probation_ends_on, p.org_path, p.reached_step)
                      for p in s.scalars(select(Person)))


def test_the_same_people_as_gbk_gb18030_utf8_bom_and_xlsx_import_identically(make_app):
    data = people(1000)
    files = {
        "gbk csv, declared by charset": (as_csv(data, "gbk"), "text/csv; charset=gbk", {}),
        "gb18030 csv, declared by ?encoding=": (as_csv(data, "gb18030"), "text/csv", {"encoding": "gb18030"}),
        "utf-8 csv with a BOM, as Excel saves it": (as_csv(data, "utf-8", bom=True), "text/csv", {}),
        "xlsx": (as_xlsx(data), XLSX, {}),
    }
    results = {}
    for name, (body, content_type, query) in files.items():
        members, tree, county = fresh(make_app)
        resp = members.test_client().post(IMPORTS, data=body, query_string=query,
                                          headers={**county, "Content-Type": content_type})
        assert resp.status_code == 201, (name, resp.json)
        assert (resp.json["total"], resp.json["created"]) == (1000, 1000), name
        results[name] = stored(members)
    first = results["xlsx"]
    assert all(found == first for found in results.values())
    assert len(first) == 1000
    assert first[0][0] in {row["姓名"] for row in data}
    assert any(p[0] == "郑伟" for p in first)
    assert {p[2] for p in first} >= {"汉族", "维吾尔族"}


@pytest.mark.parametrize("body", [
    as_csv(people(3), "gbk"),                                       # not UTF-8 at all
    "name,id_number,unit_code,stage\n郑伟,370101198001010019,code-v,full\n".encode("gbk"),   # valid UTF-8: '֣ΰ'
], ids=["invalid-utf8", "gbk-that-is-valid-utf8"])
def test_an_undeclared_gbk_file_is_refused_in_both_languages_and_nothing_stored(make_app, body):
    members, tree, county = fresh(make_app)
    resp = members.test_client().post(IMPORTS, data=body, headers={**county, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    assert resp.json["type"].endswith("import-encoding")
    assert "charset=gbk" in resp.json["detail_zh"]
    assert "encoding=gb18030" in resp.json["detail_zh"]
    assert "charset=gbk" in resp.json["detail_en"]
    assert "UTF-8" in resp.json["detail_en"]
    assert resp.json["detail"] == f"{resp.json['detail_zh']} / {resp.json['detail_en']}"
    assert stored(members) == []


def test_unknown_columns_are_reported_and_nothing_written(make_app):
    members, tree, county = fresh(make_app)
    body = as_csv(people(2), "utf-8").replace("民族".encode(), "民族成分".encode())
    resp = members.test_client().post(IMPORTS, data=body, headers={**county, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    errors = resp.json["report"]["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(1, "民族成分")]
    assert errors[0]["message_zh"].startswith("未知的列“民族成分”")
    assert errors[0]["message_en"].startswith("unknown column")
    assert stored(members) == []


def test_an_undeclared_encoding_is_read_when_given_as_a_query_and_an_unknown_one_refused(make_app):
    members, tree, county = fresh(make_app)
    client = members.test_client()
    resp = client.post(IMPORTS, data=as_csv(people(2), "gbk"), query_string={"encoding": "big5"},
                       headers={**county, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    assert "big5" in resp.json["detail_zh"]
    resp = client.post(IMPORTS, data=as_csv(people(2), "gbk"), query_string={"encoding": "GBK"},
                       headers={**county, "Content-Type": "text/csv"})
    assert resp.status_code == 201
    assert resp.json["created"] == 2
