"""The files an official works with around an import of units: the template (downloaded, filled in Excel,
sent back as it is), the file with errors sent back marked, and a large import run as a job."""
from __future__ import annotations

import io
import time

import openpyxl
from sqlalchemy import select

from services.org.models import Unit

from shared.testing import filled_template

from .conftest import API
from .test_import_formats import XLSX, fresh

TEMPLATE = f"{API}/imports/template"


def codes(org) -> set[str]:
    with org.app.extensions["zhibu"].db.Session() as session:
        return set(session.scalars(select(Unit.code)))


def test_the_template_has_chinese_headers_english_names_lists_an_example_and_rules(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    resp = org.get("/imports/template")
    assert resp.status_code == 200
    assert resp.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["单位编码*", "单位名称*", "单位类型*", "上级单位编码"]
    assert [c.value for c in sheet[2]][:4] == ["code", "name", "kind", "parent_code"]
    assert [c.value for c in sheet[3]][:3] == ["T-01-B1", "东村党支部", "党支部"]
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert set(lists) == {"C3:C100000", "E3:E100000"}          # 单位类型, 所属领域
    options = book["选项"]
    kinds = [c.value for c in options["A"]][1:]
    assert "党支部" in kinds and "乡镇（街道）党（工）委" in kinds
    rules = book["填写说明"]
    described = {row[1].value: row for row in rules.iter_rows(min_row=2) if row[1].value}
    assert described["kind"][2].value == "是 / yes"
    assert "党支部" in described["kind"][4].value
    assert described["established_on"][3].value.startswith("日期")

    resp = org.get("/imports/template", format="csv")
    assert resp.status_code == 200
    lines = resp.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("单位编码*,单位名称*,单位类型*")
    assert lines[1].startswith("code,name,kind,parent_code")
    assert len(lines) == 3


def test_a_template_filled_in_and_sent_back_imports_cleanly(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    template = org.get("/imports/template").data
    body = filled_template(template, [
        {"单位编码": "T1", "单位名称": "钢山街道党工委", "单位类型": "乡镇（街道）党（工）委", "上级单位编码": "A"},
        {"单位编码": "T1-B1", "单位名称": "东村党支部", "单位类型": "党支部", "上级单位编码": "T1", "所属领域": "农村",
         "成立日期": "2001-07-01"},
    ])
    resp = org.client.post(f"{API}/imports", data=body, headers={**org.headers, "Content-Type": XLSX})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 2
    assert resp.json["total"] == 2                 # the English row and the untouched example are skipped
    assert {"T1", "T1-B1"} <= codes(org)
    assert "T-01-B1" not in codes(org)

    csv_template = org.get("/imports/template", format="csv").data
    body = csv_template + "T2,西山街道党工委,乡镇（街道）党（工）委,A,,,,\r\n".encode()
    resp = org.client.post(f"{API}/imports", data=body, headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 1


def test_a_file_with_three_bad_rows_comes_back_marked(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["单位编码", "单位名称", "单位类型", "上级单位编码", "成立日期"])
    sheet.append(["T1", "钢山街道党工委", "乡镇（街道）党（工）委", "A", "2001-07-01"])
    sheet.append(["T1-B1", "东村党支部", "党总部", "T1", "2001-07-01"])          # 3: no such kind
    sheet.append(["T1-B2", "西村党支部", "党支部", "T1", "2001-13-01"])           # 4: no such date
    sheet.append(["T1-B3", "南村党支部", "党支部", "T1", "2001-07-01"])
    sheet.append(["T1-B4", None, "党支部", "NOPE", None])                        # 6: no name, no parent
    out = io.BytesIO()
    book.save(out)
    before = codes(org)
    resp = org.client.post(f"{API}/imports", data=out.getvalue(), query_string={"errors": "xlsx"},
                           headers={**org.headers, "Content-Type": XLSX})
    assert resp.status_code == 422
    assert resp.mimetype == XLSX
    assert resp.headers["X-Import-Error-Count"] == "3"
    assert codes(org) == before
    marked = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    header = [c.value for c in marked[1]]
    assert header == ["单位编码", "单位名称", "单位类型", "上级单位编码", "成立日期", "导入错误说明"]
    rows = list(marked.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["T1", "T1-B1", "T1-B2", "T1-B3", "T1-B4"]
    messages = {r[0].value: r[5].value for r in rows}
    assert [code for code, text in messages.items() if text] == ["T1-B1", "T1-B2", "T1-B4"]
    assert "单位类型" in messages["T1-B1"]
    assert "应为以下之一" in messages["T1-B1"]
    red = {(r[0].value, i) for r in rows for i, c in enumerate(r) if c.fill.fgColor.rgb.endswith("FFC7CE")}
    assert red == {("T1-B1", 2), ("T1-B2", 4), ("T1-B4", 1)}
    assert rows[1][2].comment.text.startswith("应为以下之一")

    # corrected in Excel and sent back as it is (the column of messages is ignored)
    for row in rows:
        row[5].value = None
    rows[1][2].value = "党支部"
    rows[2][4].value = "2001-12-01"
    rows[4][1].value = "北村党支部"
    rows[4][3].value = "T1"
    fixed = io.BytesIO()
    marked.parent.save(fixed)
    resp = org.client.post(f"{API}/imports", data=fixed.getvalue(), headers={**org.headers, "Content-Type": XLSX})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 5


def test_a_csv_with_errors_comes_back_marked_with_its_line_numbers(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    body = "单位编码,单位名称,单位类型,上级单位编码,负责人\nT1,某街道,township,A,张三\nT2,,township,A,李四\n".encode("gbk")
    resp = org.client.post(f"{API}/imports", data=body, query_string={"errors": "xlsx", "encoding": "gbk"},
                           headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 422
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert sheet["E1"].value == "负责人"
    assert sheet["E1"].comment.text.startswith("未知的列")
    assert sheet["F3"].value.startswith("单位名称：必填")
    assert sheet["B3"].fill.fgColor.rgb.endswith("FFC7CE")


def test_a_large_import_runs_as_a_job_that_any_process_answers(make_app, auth_headers, tmp_path):
    org = fresh(make_app, auth_headers)
    body = "code,name,kind,parent_code\n" + "".join(f"T{i},街道{i},township,A\n" for i in range(300))
    resp = org.client.post(f"{API}/imports", data=body.encode(), query_string={"async": "true"},
                           headers={**org.headers, "Content-Type": "text/csv"})
    assert resp.status_code == 202, resp.json
    location = resp.headers["Location"]
    assert location == f"{API}/imports/jobs/{resp.json['id']}"
    assert resp.json["status"] == "queued"
    # another web process of the same service (its own app on the same database) answers the poll
    other = make_app("org", database_url=org.app.extensions["zhibu"].config.database_url)
    job = poll(other.test_client(), location, auth_headers(other, "admin"))
    assert job["status"] == "succeeded", job
    assert job["rows_total"] == 300
    assert job["rows_done"] == 300
    assert job["result_status"] == 201
    assert job["result"]["created"] == 300
    assert len([c for c in codes(org) if c.startswith("T")]) == 300


def test_a_job_with_errors_ends_failed_with_the_report_and_writes_nothing(make_app, auth_headers):
    org = fresh(make_app, auth_headers)
    body = "code,name,kind,parent_code\nT1,街道,township,A\nT2,,township,A\n"
    resp = org.client.post(f"{API}/imports", data=body.encode(), query_string={"async": "true"},
                           headers={**org.headers, "Content-Type": "text/csv"})
    job = poll(org.client, resp.headers["Location"], org.headers)
    assert job["status"] == "failed"
    assert job["result_status"] == 422
    assert job["error_count"] == 1
    assert job["result"]["report"]["errors"][0]["line"] == 3
    assert job["result"]["detail_zh"].startswith("共 2 行")
    assert "T1" not in codes(org)


def test_a_job_whose_process_died_is_failed_by_the_next_poll(make_app, auth_headers):
    from datetime import timedelta

    from shared.db import utcnow

    org = fresh(make_app, auth_headers)
    kit = org.app.extensions["zhibu"]
    Job = kit.models.ImportJob
    stale = utcnow() - timedelta(seconds=kit.config.import_job_lease_seconds + 1)
    with kit.db.Session() as session:
        session.add(Job(id="00000000-0000-4000-8000-000000000001", kind="units", status="running", scope_path="/",
                        actor="admin", format="csv", size_bytes=10, rows_done=5, error_count=0, errors=[],
                        runner="elsewhere:1", created_at=stale, heartbeat_at=stale))
        session.commit()
    resp = org.get("/imports/jobs/00000000-0000-4000-8000-000000000001")
    assert resp.status_code == 200
    assert resp.json["status"] == "failed"
    assert resp.json["result"]["detail_zh"].startswith("运行该导入作业的进程已停止")
    assert resp.json["result"]["detail_en"].startswith("the process running the import stopped")
    scoped = auth_headers(org.app, "organizer", scope=org.get("/units", code="A").json["items"][0]["id"])
    assert org.get("/imports/jobs/00000000-0000-4000-8000-000000000001", headers=scoped).status_code == 404


def poll(client, location: str, headers: dict, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        resp = client.get(location, headers=headers)
        assert resp.status_code == 200, resp.json
        if resp.json["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return resp.json
        time.sleep(0.1)
