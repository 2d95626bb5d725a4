"""A members import from XLSX run as a job, against the CSV import of the same rows (target: at least half
the CSV's rate), on PostgreSQL.

The same people (``bench.members_import.people_csv``: every field, ID numbers and phones as text, dates) are
written once as a CSV and once as an XLSX workbook laid out as Excel lays it out (shared strings, dates as
date-formatted serial numbers). Each is imported into a fresh database through the service's real code path:
the CSV synchronously (``?async=false``), the XLSX as a job (``?async=true``: 202, then the Location polled
every half second until it ends; the figure is rows over the time from the POST to the poll that sees it
succeeded, the progress samples are recorded). The machine is shared, so each figure is the best of
alternating runs (CSV, then XLSX).

``--size province`` is the issue's 500,000 rows (``--size small``: 20,000, for a quick look).
"""
from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import date
from xml.sax.saxutils import escape

from .common import PG_ADMIN_URL, fresh_database
from .members_import import load_tree, members_app, people_csv

SIZES = {"small": 20_000, "province": 500_000}
RUNS = {"small": 2, "province": 2}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_COLUMNS = {"applied_on", "activist_since", "target_since", "probationary_since", "full_member_since"}


def people_xlsx(body: bytes) -> bytes:
    """The CSV's rows as an XLSX workbook as Excel writes one: text in the shared strings, dates as serial
    numbers with a date style, one sheet."""
    rows = csv.reader(io.StringIO(body.decode("utf-8")))
    header = next(rows)
    dated = {i for i, name in enumerate(header) if name in DATE_COLUMNS}
    strings: dict[str, int] = {}
    epoch = date(1899, 12, 30).toordinal()

    def text(value: str) -> str:
        index = strings.get(value)
        if index is None:
            index = strings[value] = len(strings)
        return str(index)

    letters = [chr(65 + i) if i < 26 else "A" + chr(65 + i - 26) for i in range(len(header))]
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxml'
             'formats.org/spreadsheetml/2006/main"><dimension ref="DIMENSION"/><sheetData>']
    parts.append('<row r="1">' + "".join(f'<c r="{letters[i]}1" t="s"><v>{text(v)}</v></c>'
                                         for i, v in enumerate(header)) + "</row>")
    for n, row in enumerate(rows, start=2):
        cells = []
        for i, value in enumerate(row):
            if not value:
                continue
            if i in dated:
                serial = date.fromisoformat(value).toordinal() - epoch
                cells.append(f'<c r="{letters[i]}{n}" s="1"><v>{serial}</v></c>')
            else:
                cells.append(f'<c r="{letters[i]}{n}" t="s"><v>{text(value)}</v></c>')
        parts.append(f'<row r="{n}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    parts[0] = parts[0].replace("DIMENSION", f"A1:{letters[len(header) - 1]}{n}")
    shared = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats'
              f'.org/spreadsheetml/2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">']
    shared += [f"<si><t>{escape(value)}</t></si>" for value in strings]
    shared.append("</sst>")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
        f'org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/'
        f'workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" Target="'
        f'sharedStrings.xml"/><Relationship Id="rId3" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{main}"><fonts count="1"><font><sz val="11"/>'
        '<name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf/>'
        '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
        '</styleSheet>',
        "xl/sharedStrings.xml": "".join(shared),
        "xl/worksheets/sheet1.xml": "".join(parts),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for name, content in files.items():
            book.writestr(name, content)
    return out.getvalue()


def run(size: str = "small", pg_admin_url: str = PG_ADMIN_URL) -> list[dict]:
    n = SIZES.get(size, SIZES["small"])
    csv_rates, xlsx_rates, progress = [], [], []
    sizes = None
    for _ in range(RUNS.get(size, 1)):
        for fmt in ("csv", "xlsx"):
            rate, samples = _one(n, fmt, pg_admin_url)
            (csv_rates if fmt == "csv" else xlsx_rates).append(rate[0])
            sizes = rate[1] if fmt == "xlsx" else sizes
            if samples:
                progress = samples
    csv_rate, xlsx_rate = max(csv_rates), max(xlsx_rates)
    shown = progress if len(progress) <= 8 else [progress[i * (len(progress) - 1) // 7] for i in range(8)]
    data = (f"{n:,} people (--size province: 500,000), 400 branches; XLSX {sizes[0] / 1e6:.0f} MB, CSV {sizes[1] / 1e6:.0f} MB; best of "
            f"{len(csv_rates)} alternating runs: CSV {', '.join(f'{r:,.0f}' for r in csv_rates)}, XLSX "
            f"{', '.join(f'{r:,.0f}' for r in xlsx_rates)} rows/s")
    return [
        {"name": "members import of an XLSX workbook as a job (202, progress polled every 0.5 s)",
         "figure": round(xlsx_rate), "unit": "rows/s", "target": ">= 0.5 x the CSV import's rate",
         "baseline_name": "the CSV import of the same rows (synchronous)", "baseline": round(csv_rate),
         "ratio": round(xlsx_rate / csv_rate, 3), "data_size": data},
        {"name": "the job's progress as polled (seconds, rows done, rows total)", "figure": len(progress),
         "unit": "polls", "target": "rows done rising to rows total", "baseline_name": "", "baseline": "",
         "ratio": None, "data_size": "; ".join(f"{t} s: {done:,}/{total:,}" for t, done, total in shown)},
    ]


def _one(n: int, fmt: str, pg_admin_url: str):
    """Make the file against this run's tree and import it (the tree's ids are fresh in each database)."""
    from shared.migrations import upgrade
    from shared.testing import auth

    url = fresh_database(f"zhibu_bench_import_{fmt}", pg_admin_url)
    upgrade("members", url)
    branches = load_tree(url)
    body = people_csv(n, branches)
    sheet = people_xlsx(body) if fmt == "xlsx" else None
    app = members_app(url)
    client = app.test_client()
    headers = {**auth(app, "admin"), "Content-Type": "text/csv" if fmt == "csv" else XLSX}
    samples = []
    started = time.perf_counter()
    if fmt == "csv":
        resp = client.post("/api/members/v1/imports", data=body, headers=headers, query_string={"async": "false"})
        if resp.status_code != 201 or resp.json["created"] != n:
            raise RuntimeError(f"CSV import failed: {resp.status_code} {str(resp.json)[:2000]}")
    else:
        resp = client.post("/api/members/v1/imports", data=sheet, headers=headers, query_string={"async": "true"})
        if resp.status_code != 202:
            raise RuntimeError(f"XLSX job not accepted: {resp.status_code} {str(resp.json)[:2000]}")
        location = resp.headers["Location"]
        while True:
            time.sleep(0.5)
            job = client.get(location, headers=headers).json
            samples.append((round(time.perf_counter() - started, 1), job["rows_done"], job["rows_total"] or 0))
            if job["status"] in ("succeeded", "failed"):
                break
        if job["status"] != "succeeded" or job["result"]["created"] != n:
            raise RuntimeError(f"XLSX job failed: {str(job)[:2000]}")
    elapsed = time.perf_counter() - started
    app.extensions["zhibu"].db.dispose()
    return (n / elapsed, (len(sheet or b""), len(body))), samples


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1] if len(sys.argv) > 1 else "small"):
        print(row)
