"""The files around the members imports: the people and dues-payment templates filled in and sent back, a
file with three bad rows sent back marked, and a people import run as a job with its progress polled."""
from __future__ import annotations

import io
import time

import openpyxl

from shared import dates

from shared.testing import filled_template

from .conftest import full_member, id_number
from .test_dues import base_body, generate, month_text, months_ago, record_base
from .test_imports_formats import XLSX, as_csv, fresh, people, stored

API = "/api/members/v1"


def test_the_people_template_lists_gender_stage_ethnicity_and_education(make_app):
    members, tree, county = fresh(make_app)
    resp = members.test_client().get(f"{API}/imports/template", headers=county)
    assert resp.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名*", "身份证号码*", "性别"]
    listed = {header[openpyxl.utils.column_index_from_string(str(v.sqref).split(":")[0][0]) - 1].rstrip("*")
              for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert {"性别", "民族", "学历", "人员类别", "党员分类"} <= listed
    options = {col[0].value: [c.value for c in col[1:] if c.value] for col in book["选项"].iter_cols()}
    assert options["性别"] == ["男", "女"]
    assert "维吾尔族" in options["民族"] and len(options["民族"]) == 56
    assert "正式党员" in options["人员类别"]


def test_a_people_template_filled_in_and_sent_back_imports_cleanly(make_app):
    members, tree, county = fresh(make_app)
    client = members.test_client()
    template = client.get(f"{API}/imports/template", headers=county).data
    rows = [{k.rstrip("*"): (f"{v[0]}-{v[1]:02d}-{v[2]:02d}" if isinstance(v, tuple) else v) for k, v in p.items()}
            for p in people(3)]
    for row in rows:
        row.pop("性别")   # left out: the ID number gives it
    resp = client.post(f"{API}/imports", data=filled_template(template, rows), headers={**county, "Content-Type": XLSX})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 3
    assert resp.json["total"] == 3
    assert {p[0] for p in stored(members)} == {r["姓名"] for r in rows}


def test_a_people_file_with_three_bad_rows_comes_back_marked(make_app):
    members, tree, county = fresh(make_app)
    data = people(6)
    data[1]["身份证号码"] = data[1]["身份证号码"][:-1] + ("0" if data[1]["身份证号码"][-1] != "0" else "1")
    data[3]["人员类别"] = "群众"
    data[4]["单位编码"] = "no-such-unit"
    book = openpyxl.Workbook()
    sheet = book.active
    header = list(data[0])
    sheet.append(header)
    for row in data:
        sheet.append([f"{v[0]}-{v[1]:02d}-{v[2]:02d}" if isinstance(v, tuple) else v for v in row.values()])
    out = io.BytesIO()
    book.save(out)
    resp = members.test_client().post(f"{API}/imports", data=out.getvalue(), query_string={"errors": "xlsx"},
                                      headers={**county, "Content-Type": XLSX})
    assert resp.status_code == 422
    assert resp.headers["X-Import-Error-Count"] == "3"
    marked = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert marked.cell(1, len(header) + 1).value == "导入错误说明"
    notes = [marked.cell(row, len(header) + 1).value for row in range(2, 8)]
    assert [bool(n) for n in notes] == [False, True, False, True, True, False]
    assert notes[1].startswith("身份证号码：不是有效的身份证号码")
    red = {(row - 2, col - 1) for row in range(2, 8) for col in range(1, len(header) + 1)
           if marked.cell(row, col).fill.fgColor.rgb.endswith("FFC7CE")}
    assert red == {(1, header.index("身份证号码")), (3, header.index("人员类别")), (4, header.index("单位编码"))}
    assert stored(members) == []


def test_the_dues_payments_template_filled_in_imports_cleanly(make_app):
    members, tree, county = fresh(make_app)
    client = members.test_client()
    person = full_member(client, county, tree.id("v"), "交费人", id_number=id_number("1970-01-01", 21))
    record_base(client, county, person["id"], base_body("employed", ["3000.00"], {}, None))
    month = months_ago(1)
    generate(client, county, tree.id("v"), month)
    resp = client.get(f"{API}/dues/payments/imports/template", headers=county)
    assert resp.status_code == 200
    template = resp.data
    assert openpyxl.load_workbook(io.BytesIO(template)).worksheets[0]["A1"].value == "人员ID"
    body = filled_template(template, [{"身份证号码": id_number("1970-01-01", 21), "交纳日期": dates.today().isoformat(),
                              "起始月份": month_text(month), "金额": "15.00", "交纳方式": "银行", "流水号": "B-1"}])
    resp = client.post(f"{API}/dues/payments/imports", data=body, headers={**county, "Content-Type": XLSX})
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 1
    assert resp.json["total"] == 1


def finished_job(client, location: str, headers: dict, seconds: float = 60) -> dict:
    """The import job at ``location`` polled until it ends (or ``seconds`` pass): its last state."""
    deadline = time.monotonic() + seconds
    while True:
        job = client.get(location, headers=headers).json
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_a_people_import_runs_as_a_job_and_its_progress_is_polled(make_app):
    members, tree, county = fresh(make_app)
    client = members.test_client()
    rows = people(50)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append([f"{v[0]}-{v[1]:02d}-{v[2]:02d}" if isinstance(v, tuple) else v for v in row.values()])
    out = io.BytesIO()
    book.save(out)
    resp = client.post(f"{API}/imports", data=out.getvalue(), query_string={"async": "true"},
                       headers={**county, "Content-Type": XLSX})
    assert resp.status_code == 202
    job = finished_job(client, resp.headers["Location"], county)
    assert job["status"] == "succeeded", job
    assert job["rows_total"] == 50
    assert job["rows_done"] == 50
    assert job["result"]["created"] == 50
    assert len(stored(members)) == 50


def test_a_job_checks_a_large_file_in_the_worker_processes_as_a_request_would(make_app, monkeypatch):
    """The job's request knows its body's length: a file over ZHIBU_IMPORT_PARALLEL_BYTES has its rows checked
    in the import's worker processes, as when it is sent synchronously (every job ran in its one thread: a
    500,000-row file imported at half the rate)."""
    from shared import bulk

    pools = []
    real_pool = bulk.process_pool

    def recording_pool(processes, *args, **kwargs):
        pools.append(processes)
        return real_pool(processes, *args, **kwargs)

    monkeypatch.setattr(bulk, "process_pool", recording_pool)
    members, _, county = fresh(make_app, import_processes=1, import_parallel_bytes=1)
    client = members.test_client()
    resp = client.post(f"{API}/imports", data=as_csv(people(20), "utf-8"), query_string={"async": "true"},
                       headers={**county, "Content-Type": "text/csv"})
    assert resp.status_code == 202
    job = finished_job(client, resp.headers["Location"], county)
    assert job["status"] == "succeeded", job
    assert job["result"]["created"] == 20
    assert pools == [1]
