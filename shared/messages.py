"""The one catalog of messages a user can see: Chinese first, English beside it.

Every ``detail`` the suite answers (the services' problem+json, the gateway's, import reports, field
errors) is built from an entry here, never from a string written where the error is raised::

    raise Problem(404, "Not Found", msg("not-found", what="unit"), kind="not-found")

An entry is a pair of ``str.format`` templates (zh, en) over the same named parameters. A parameter that
names a thing of the domain (``what="unit"``) is rendered in each language by ``TERMS``; a count can use
``{n}`` with ``plural()`` for the English side. This module imports nothing of the kit: it is the bottom
layer, usable by the gateway as well as by the services.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One message in both languages."""

    key: str
    zh: str
    en: str

    def __str__(self) -> str:  # the problem's ``detail``: Chinese first, English beside it
        return f"{self.zh} / {self.en}"

    def as_dict(self) -> dict:
        return {"zh": self.zh, "en": self.en}


# Names of domain things used as parameters (``what=``) in messages: the Chinese side shows them in Chinese.
TERMS: dict[str, str] = {
    "resource": "记录",
    "unit": "组织",
    "person": "人员",
    "committee": "委员会",
    "meeting": "会议",
    "class": "培训班",
    "course": "课程",
    "problem": "问题",
    "scorecard": "评分表",
    "transfer": "组织关系转接",
    "subscription": "订阅",
    "import": "导入任务",
    "dues_payment": "党费交纳记录",
    "hearing": "听取工作汇报记录",
    "screening": "排查",
    "screening_record": "排查记录",
    "secretary_report": "书记述职评议",
    "reserve_candidate": "书记后备人选",
    "exemplar": "示范党支部和先进典型",
    "import_job": "导入作业",
    "assessment": "考核结果",
    "branch": "党支部",
    "input": "评价数据",
    "rating": "评定结果",
    "scorecard version": "评分表版本",
    "step": "发展步骤",
    "review": "评议",
    "party group": "党小组",
    "group member": "党小组成员",
    "liaison point": "联系点",
    "uncovered entity": "未覆盖单位",
    "enrollment": "报名记录",
    "rotation plan": "轮训计划",
    "rule": "规则",
    "leader": "领导干部",
    "seat": "委员职位",
    "transfer letter": "组织关系介绍信",
    "the receipt": "回执",
    "an arrival outside the province": "省外介绍信的到达",
    "a letter arrived": "介绍信的到达", "a letter expired": "介绍信的过期", "a letter reissued": "介绍信的补开",
    "a letter receipt_returned": "介绍信回执",
}


def term(name: str) -> str:
    """The Chinese name of a domain term (the term itself when the catalog has none)."""
    return TERMS.get(name, name)


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 unit`` / ``2 units`` for the English side (Chinese has no plural)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# key -> (zh, en). Sections by who raises them; keep keys kebab-case and stable (tests name them).
CATALOG: dict[str, tuple[str, str]] = {
    # --- the kit's HTTP conventions -----------------------------------------------------------------
    "not-found": ("没有这个{what_zh}", "no such {what}"),
    "unauthorized": ("需要 Authorization: Bearer 令牌", "an Authorization: Bearer token is required"),
    "forbidden-roles": ("此操作需要以下角色之一：{roles}", "this needs one of the roles: {roles}"),
    "invalid-fields": ("请求中有无效字段，见 errors", "the request has invalid fields; see errors"),
    "precondition-required": ("请在 If-Match 中带上读取时得到的 ETag，以免覆盖他人的修改",
                              "send If-Match with the ETag you read, so that no one's change is overwritten"),
    "precondition-failed": ("记录在您读取之后已被修改；请重新读取后再修改",
                            "the record changed since you read it; read it again and re-apply your change"),
    "conflict": ("此修改与已有记录冲突", "the change conflicts with an existing record"),
    "unavailable": ("服务的数据库暂时无响应，请稍后重试（带同一 Idempotency-Key 重发的创建请求只会执行一次）",
                    "the service's database is not answering; try again shortly (a creating request "
                    "repeated with its Idempotency-Key is applied once)"),
    "transaction-conflict": ("此请求与同时进行的另一项修改相互等待，已被数据库撤销，未作任何修改；请重试（带同一 "
                             "Idempotency-Key 重发的创建请求只会执行一次）",
                             "this request and a concurrent change waited on each other and the database undid it; "
                             "nothing was changed: send it again (a creating request repeated with its "
                             "Idempotency-Key is applied once)"),
    "server-error": ("服务器出错；可凭请求编号在日志中查到原因",
                     "the server failed; the request id identifies it in the logs"),
    "json-content-type": ("请求体须以 Content-Type: application/json 发送（收到的是 {type}）",
                          "send the body as JSON with Content-Type: application/json (it came as {type})"),
    "http-400": ("请求无法处理", "the request could not be understood"),
    "http-404": ("没有这个路径", "no such path"),
    "http-405": ("此路径不接受这种请求方法", "this path does not accept this method"),
    "http-406": ("无法按 Accept 请求头给出应答", "no answer in a type the Accept header allows"),
    "http-413": ("请求体过大", "the request body is too large"),
    "http-415": ("不支持请求体的 Content-Type", "the body's Content-Type is not one this operation reads"),
    # --- the kit's bounds on input (shared/parsing.py, shared/app.py) ---------------------------------
    "json-malformed": ("请求体不是合法的 JSON（第 {line} 行第 {column} 列）",
                       "the body is not valid JSON (line {line}, column {column})"),
    "json-not-utf8": ("JSON 请求体须为 UTF-8 编码", "a JSON body must be encoded in UTF-8"),
    "json-too-deep": ("JSON 嵌套超过 {depth} 层", "the JSON nests deeper than {depth} levels"),
    "json-non-finite": ("数值 {value} 不是有限数", "{value} is not a finite number"),
    "json-number-range": ("数值 {value} 超出可表示的范围", "the number {value} is out of range"),
    "integer-range": ("整数须在 {low} 至 {high} 之间", "an integer must lie between {low} and {high}"),
    "nul-character": ("不得含有 NUL（\\0）字符", "must not contain a NUL (\\0) character"),
    "request-too-large": ("请求体超过上限 {limit} 字节", "the request body exceeds the limit of {limit} bytes"),
    "period-order": ("开始日期（from）晚于结束日期（to）", "'from' is after 'to'"),
    "period-too-long": ("统计期间最长 {years} 年（{start} 至 {end}）",
                        "a period is at most {years} years ({start} to {end})"),
    "value-does-not-fit": ("某个值超出了数据库中其字段能保存的范围，未作任何修改",
                           "a value does not fit the field that stores it; nothing was changed"),
    "date-range": ("日期须在 {low} 至 {high} 之间", "a date must lie between {low} and {high}"),
    # --- rules right to the day (org, training, members steps; shared/numbers.py) ---------------------
    "number-fractional": ("须为整数；{value} 含有小数部分，不会被截断",
                          "a whole number is expected; {value} has a fractional part (it is not truncated)"),
    "number-too-precise": ("最多保留 {places} 位小数；{value} 不会被舍入",
                           "at most {places} decimal places; {value} is not rounded"),
    "members-training-not-passed": ("集中培训须结业（考核合格）方可计入；考核结果：{assessment}",
                                    "centralized training counts once completed and passed (结业); its assessment: "
                                    "{assessment}"),
    "members-training-completed-after": ("结业日期晚于本步骤的日期", "the class was completed after the step's date"),
    "org-full-member-after-election": ("{name}于{since}转为正式党员，晚于选举日{on}，不能当选{role_zh}",
                                       "{name} became a full member on {since}, after the election on {on}, so "
                                       "cannot be elected {role}"),
    "org-early-election-unapproved": ("本届任期至{term_ends_on}届满，{elected_on}提前换届须报上级党组织批准，"
                                      "请填写批准情况（early_approval）",
                                      "the term runs to {term_ends_on}: an election on {elected_on} is early and "
                                      "needs the upper committee's approval (early_approval)"),
    "org-early-election-too-early": ("本届任期至{term_ends_on}届满，提前换届不得超过{years}年（最早{earliest}），"
                                     "{elected_on}过早",
                                     "the term runs to {term_ends_on}: an early election advances it by at most "
                                     "{years} year(s) (on or after {earliest}); {elected_on} is earlier"),
    "org-early-approval-after": ("批准提前换届的日期须不晚于选举日{elected_on}",
                                 "the approval of an early election comes on or before the election ({elected_on})"),
    "org-held-in-future": ("会议日期{on}晚于今天{today}：已召开的会议在召开后登记；尚未召开的请登记为计划（status: scheduled）",
                           "{on} is after today ({today}): a meeting held is recorded once held; one still ahead is "
                           "recorded as scheduled (status: scheduled)"),
    "org-scheduled-out-of-range": ("计划召开的会议日期须在今天{today}至{latest}之间，{on}不在此范围",
                                   "a scheduled meeting lies between today ({today}) and {latest}; {on} does not"),
    "org-ledger-headcount": ("{field}为{given}，与会议记录所列人员（{counted}）不一致",
                             "{field} is {given} but the ledger's attendees give {counted}"),
    "org-mechanism-missed": ("{name_zh}应每{unit_zh}至少1次：应有{required}次，实有{held}次，{missed_zh}未开展",
                             "{name_en}: due once a {unit_en}, {required} due, {held} held; none in {missed_en}"),
    "org-secretary-assessed-poor": ("书记{year}年度述职评议结果为“差”", "the secretary was assessed poor (差) in {year}"),
    "org-reserve-short": ("党支部书记后备人选{candidates}名，少于{minimum}名",
                          "{candidates} reserve candidate(s) for secretary, fewer than {minimum}"),
    "org-reserve-not-member": ("{name}不是本支部的正式党员，不能列为书记后备人选",
                               "{name} is not an active full member of this branch, so cannot be a reserve candidate"),
    "org-reserve-standing": ("书记后备人选应具有{years}年以上党龄；{name}于{since}转为正式党员，{reached}方满{years}年",
                             "a reserve candidate needs {years} year(s) of party standing; {name} became a full member "
                             "on {since} and reaches it on {reached}"),
    "org-hearing-committee": ("听取汇报的须是该支部的上级基层党委或乡镇（街道）、县级党委",
                              "the hearing committee is a grassroots, township or county committee above the branch"),
    "org-screening-outside-county": ("该支部不在本次排查的县（市、区）范围内",
                                     "the branch lies outside the county of this screening"),
    "org-screening-year": ("排查日期须在{year}年内", "the screening date lies in {year}"),
    "org-not-a-branch": ("须为党支部（含联合党支部）", "must be a branch (or a joint branch)"),
    "org-not-a-secretary-unit": ("须为党支部、党总支或基层党委", "must be a branch, a general branch or a grassroots committee"),
    "org-not-a-county": ("排查由县（市、区）党委组织，须为县级组织", "a screening is run by a county"),
    "org-on-or-before-today": ("不能晚于今天{today}", "is after today ({today})"),
    "org-duplicate": ("{what_zh}已登记：请修改原记录（PATCH）", "this {what} is already recorded: correct it (PATCH)"),
    "org-reserve-closed": ("该后备人选已于{ended_on}退出", "the candidate left the pool on {ended_on}"),
    "org-assessment-before-report": ("评议日期不能早于述职日期{reported_on}", "is before the report ({reported_on})"),
    "exemplar-duplicate": ("该支部已是{year}年度示范党支部", "the branch is already a demonstration branch of {year}"),
    "exemplar-withdrawn": ("该称号已于{on}撤销", "the title was withdrawn on {on}"),
    "org-meeting-held-stays-held": ("已召开的会议不能改回计划状态", "a meeting held cannot go back to scheduled"),
    "training-completion-not-attended": ("{person_id} 未出席该班任何一次课程，不能记录结业",
                                         "{person_id} attended no session of this class, so cannot complete it"),
    "training-completion-date": ("{person_id} 的结业日期须在开班日 {starts_on} 至今天 {today} 之间",
                                 "{person_id}: a completion lies between the class's start ({starts_on}) and today "
                                 "({today})"),
    # --- the gateway ----------------------------------------------------------------------------------
    "gateway-no-route": ("没有这个路径；接口位于 /api/<服务>/v1 之下", "no such route; APIs live under /api/<service>/v1"),
    "gateway-no-service": ("没有名为 {service} 的服务", "there is no service named {service}"),
    "gateway-no-asset": ("没有这个文档资源文件", "no such asset"),
    "gateway-method": ("此路径只接受 {allow} 请求", "this path accepts only {allow}"),
    "gateway-rate-limited": ("请求过于频繁：每秒最多 {rate} 个请求", "slow down: at most {rate} requests a second"),
    "gateway-token-rate-limited": ("申请令牌过于频繁，请稍后再试", "too many token requests; try again shortly"),
    "gateway-too-large": ("请求体超过上限 {limit} 字节", "the request body exceeds the limit of {limit} bytes"),
    "gateway-bad-body": ("请求体不完整或无法读取", "the request body is incomplete or could not be read"),
    "gateway-upstream-failed": ("{service} 服务没有应答", "the {service} service did not answer"),
    "gateway-upstream-timeout": ("{service} 服务在 {seconds} 秒内没有应答",
                                 "the {service} service did not answer within {seconds} s"),
    "gateway-openapi-unavailable": ("某个服务的接口文档暂时无法获取", "a service's API document is unavailable"),
    "gateway-token-request": ("请以 JSON 发送 {{\"client_id\": ..., \"client_secret\": ...}}",
                              "send JSON {{\"client_id\": ..., \"client_secret\": ...}}"),
    "gateway-bad-client": ("未知的客户端或密钥错误", "unknown client or wrong secret"),
    # --- members: party dues (DUES.*) ----------------------------------------------------------------
    "dues-person-left": ("此人已于{left_on}离开党组织，不再交纳党费", "the person left on {left_on} and pays no dues"),
    "dues-flat-no-base": ("{category}类党员按固定金额交纳党费，没有收入项目和扣除项",
                          "a {category} member pays a flat amount: no income items or deductions"),
    "dues-amount-farmers-only": ("只有农民党员由党支部在规定范围内确定每月交纳金额",
                                 "only a farmer's monthly amount is set by the branch (within its range)"),
    "dues-future-month": ("不能生成未来月份的党费账单（预交党费在交纳时记账）",
                          "bills are not made for a month still ahead (an advance payment makes its own)"),
    "dues-already-paid": ("{month}的党费已于{paid_on}交纳", "the dues of {month} were paid on {paid_on}"),
    "dues-paid-in-future": ("交纳日期晚于今天", "is after today"),
    "dues-reference-used": ("该党员已有流水号为 {reference} 的交费记录",
                            "the member already has a payment with the reference {reference}"),
    "dues-import-rejected": ("导入文件有{n}处错误，未写入任何记录，见 report",
                             "the file has {n} errors and nothing was written; see report"),
    "dues-no-person": ("在您的管理范围内没有这个人员", "no such person in your scope"),
    "dues-name-differs": ("姓名与该身份证号（或编号）登记的人员不符", "the name differs from the person's on record"),
    "dues-import-month": ("应为月份，如 2026-03", "a month as YYYY-MM"),
    "dues-import-amount": ("应为金额（元），最多两位小数，如 45.00", "an amount in yuan with at most 2 decimals, as 45.00"),
    "dues-import-who": ("请填写人员ID或身份证号码", "give person_id or id_number"),
    "dues-report-period": ("统计期间须自起始月份起、不超过36个月", "the period starts at from_month and spans at most 36 months"),
    # --- deadlines: the members alerts and every service's reminders (shared/reminders.py) --------------
    "deadline-approaching": ("{task_zh}：应于{due_on}前完成，还有{days}天", "{task}: due by {due_on}, in {days} days"),
    "deadline-due-today": ("{task_zh}：今天（{due_on}）到期", "{task}: due today ({due_on})"),
    "deadline-overdue": ("{task_zh}：应于{due_on}前完成，已逾期{days}天", "{task}: was due by {due_on}, {days} days overdue"),
    # --- the change feed (shared/changes.py) --------------------------------------------------------
    "changes-cursor-expired": ("该游标早于本服务保留的变更历史（{days} 天），之后的部分事件可能已被清除：请先通过各列表接口重新同步"
                               "全部数据，再不带 after 参数重新读取变更流",
                               "the cursor lies before the change history this service keeps ({days} days) and "
                               "events after it may be gone: re-sync from the list endpoints, then read the feed "
                               "again without after"),
    "changes-cursor-invalid": ("不是本变更流给出的游标", "not a cursor this feed gave out"),
    # --- webhooks -------------------------------------------------------------------------------------
    "webhooks-event-types-unknown": ("事件类型 {patterns} 不匹配事件目录中的任何类型",
                                     "the event types {patterns} match no type of the event catalog"),
    "webhooks-not-delivered": ("订阅没有收到过事件 {event_id}（或已超过保留期）",
                               "the subscription got no event {event_id} (or it is past the retention)"),
    "webhooks-channel-fixed": ("订阅的接收方式（{channel}）不能更改；请另建订阅",
                               "a subscription's channel ({channel}) stays as made; make another subscription"),
    "webhooks-flagged": ("投递连续失败 {hours} 小时，订阅已暂停：{error}",
                         "deliveries failed for {hours} h, the subscription was paused: {error}"),
    # --- imports (shared/imports.py, the services' imports.py) ----------------------------------------
    "import-media-type": ("请以 text/csv（首行为表头）、application/x-ndjson（每行一个 JSON 对象）或 XLSX 工作簿"
                          "（application/vnd.openxmlformats-officedocument.spreadsheetml.sheet）发送文件",
                          "send text/csv (with a header row), application/x-ndjson (one JSON object a line) or an "
                          "XLSX workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)"),
    "import-old-excel": ("不支持旧版 Excel（.xls）文件；请在 Excel 中另存为“Excel 工作簿（*.xlsx）”后上传",
                         "old Excel (.xls) files are not read; save it as an Excel workbook (*.xlsx) and send that"),
    "import-encoding-undeclared": (
        "文件不是 UTF-8 编码，也没有声明编码。中文 Windows 上 Excel 另存的 CSV 是 GBK 编码：请在 Content-Type 中"
        "声明 charset=gbk（如 text/csv; charset=gbk），或在地址后加 ?encoding=gb18030；也可以在 Excel 中另存为"
        "“CSV UTF-8（逗号分隔）”后重新上传",
        "the file is not UTF-8 and declares no encoding. Excel on Chinese Windows saves CSV as GBK: declare it with "
        "charset=gbk in the Content-Type (text/csv; charset=gbk) or add ?encoding=gb18030 to the address; or save "
        "it from Excel as \"CSV UTF-8 (Comma delimited)\" and send it again"),
    "import-encoding-garbled": (
        "文件按 UTF-8 读出来是乱码（{share}% 的非 ASCII 字符不是汉字或常用符号），很可能是 GBK 编码：请声明 "
        "charset=gbk 或加 ?encoding=gb18030，或在 Excel 中另存为“CSV UTF-8（逗号分隔）”；如果它确是 UTF-8，"
        "请声明 charset=utf-8",
        "read as UTF-8 the file is garbled ({share}% of its non-ASCII characters are neither Chinese nor common "
        "symbols): it is most likely GBK. Declare charset=gbk or add ?encoding=gb18030, or save it from Excel as "
        "\"CSV UTF-8 (Comma delimited)\"; if it really is UTF-8, declare charset=utf-8"),
    "import-encoding-wrong": ("文件第 {line} 行不是所声明的 {encoding} 编码；请检查声明的编码，或另存为 UTF-8 后重新上传",
                              "line {line} of the file is not {encoding} as declared; check the declared "
                              "encoding, or save the file as UTF-8 and send it again"),
    "import-encoding-unknown": ("不支持编码 {encoding}；可用的编码：{names}",
                                "the encoding {encoding} is not read; use one of: {names}"),
    "import-encoding-utf16": ("文件是 UTF-16 编码（Excel 的“Unicode 文本”）；请另存为“CSV UTF-8（逗号分隔）”或 XLSX",
                              "the file is UTF-16 (Excel's \"Unicode Text\"); save it as \"CSV UTF-8 (Comma "
                              "delimited)\" or as XLSX"),
    "import-changed-meanwhile": ("导入期间有{n}个单位被他人修改，本次未写入任何记录；请重新提交该文件",
                                 "{n} units were changed by someone else while the import ran; nothing was "
                                 "imported: send the file again"),
    "import-xlsx-unreadable": ("无法读取该 XLSX 文件：它不是有效的 Excel 工作簿",
                               "the XLSX file cannot be read: it is not a valid Excel workbook"),
    "import-xlsx-no-sheet": ("工作簿中没有工作表“{sheet}”；现有的工作表：{sheets}",
                             "the workbook has no sheet '{sheet}'; its sheets: {sheets}"),
    "import-unknown-column": ("未知的列“{column}”；可用的列见导入模板（/imports/template）",
                              "unknown column '{column}'; the import template (/imports/template) lists the columns"),
    "import-repeated-column": ("列“{column}”与列“{first}”是同一字段", "the column '{column}' repeats '{first}'"),
    "import-too-many-values": ("本行的值比表头的列多", "more values than header columns"),
    "import-not-json": ("不是合法的 JSON：{reason}", "not JSON: {reason}"),
    "import-not-object": ("每行须是一个 JSON 对象", "each line must be one JSON object"),
    "import-required": ("必填", "required"),
    "import-not-text": ("应为文字", "must be text"),
    "import-too-long": ("最多 {most} 个字符", "text of at most {most} characters"),
    "import-pattern": ("格式不正确", "not in the expected form"),
    "import-code-pattern": ("编码只能由字母、数字和 _ . - 组成，最多 64 位", "letters, digits, _ . - (at most 64)"),
    "import-phone": ("不是有效的电话号码", "not a phone number"),
    "import-number-as-code": ("此单元格是数字，Excel 只保留 15 位有效数字：请把该列设为“文本”格式后重新填写",
                              "the cell holds a number, which Excel keeps to 15 digits: format the column as "
                              "text and enter the value again"),
    "import-date": ("应为日期，如 2024-07-01", "a date as YYYY-MM-DD"),
    "import-integer": ("应为 {low} 至 {high} 之间的整数", "a whole number from {low} to {high}"),
    "import-choice": ("应为以下之一：{zh_options}", "one of: {options}"),
    "import-errors": ("共 {total} 行，其中 {bad} 行有错误，未导入任何数据；请按报告逐行修改后重新上传",
                      "{bad} of {total} rows have errors; nothing was imported. Correct them as the report "
                      "says and send the file again"),
    "import-no-rows": ("文件中没有数据行", "the file has no rows"),
    "import-too-many-rows": ("文件超过 {most} 行；请分批导入（如每次一个县）",
                             "the file has more than {most} rows; import it in parts (a county at a time)"),
    "import-same-id-number": ("与第 {first} 行的身份证号码相同", "the same ID number as line {first}"),
    "import-bad-id-number": ("不是有效的身份证号码（18 位，末位校验码符合 GB 11643）",
                             "not a valid national ID number (18 characters with the GB 11643 check digit)"),
    "import-unit-required": ("须填写单位编码或单位 ID", "unit_id or unit_code is required"),
    "import-unit-unknown": ("您的管辖范围内没有这个组织", "no such unit in your scope"),
    "import-unit-dissolved": ("该组织已撤销", "the unit is dissolved"),
    "import-rule": ("{code}：{zh}", "{code}: {en}"),
    "import-code-again": ("编码重复（首次出现在第 {first} 行）", "the code appears again (first on line {first})"),
    "import-parent-failed": ("上级组织所在的第 {line} 行有错误", "the parent's line {line} has errors"),
    "import-parent-dissolved": ("上级组织已撤销", "the parent unit is dissolved"),
    "import-parent-unknown": ("组织树中和文件前面的行中都没有这个编码的组织",
                              "no unit with this code in the tree or on an earlier line"),
    "import-root-needs-province": ("必填：只有全省管理员才能导入没有上级的组织",
                                   "required: only a province-wide administrator imports root units"),
    "import-code-taken": ("此编码属于另一个组织", "this code belongs to another unit"),
    "import-unit-kind-differs": ("该组织现为“{kind_zh}”；请用 PATCH /units/{id} 修改类型",
                                 "the unit is a {kind}; change its kind with PATCH /units/{id}"),
    "import-unit-elsewhere": ("该组织隶属于另一个上级；请用 POST /units/{id}/move 调整隶属关系",
                              "the unit stands under another parent; move it with POST /units/{id}/move"),
    "import-id-birth-differs": ("与身份证号码中的出生日期不符", "does not match the birth date in the ID number"),
    "import-id-gender-differs": ("与身份证号码中的性别不符", "does not match the gender in the ID number"),
    "import-birth-needed": ("未填身份证号码时必填", "required unless the ID number is given"),
    "import-in-future": ("不能晚于今天", "is in the future"),
    "import-stage-needs-date": ("登记为“{stage_zh}”的人员须填写此日期", "a person registered as {stage} needs this date"),
    "import-later-stage": ("属于比“{stage_zh}”更晚的阶段", "belongs to a later stage than {stage}"),
    "import-before-previous": ("早于{previous_zh}（{day}）", "is before {previous} ({day})"),
    "import-before-birth": ("早于出生日期", "is before the birth date"),
    "import-before-probation-end": ("早于预备期满之日（{day}）", "is before the probation ended ({day})"),
    "import-step-range": ("登记为“{stage_zh}”的人员已完成的步骤应在 {low} 至 {high} 之间",
                          "a person registered as {stage} has reached a step from {low} to {high}"),
    "import-job-lost": ("运行该导入作业的进程已停止（{seconds} 秒没有进度），未写入任何数据；请重新上传文件",
                        "the process running the import stopped (no progress for {seconds} s); nothing was "
                        "written: send the file again"),
    "import-application-date": ("入党申请已提交：请填写申请日期", "the application is done: give its date"),
}


def msg(key: str, **params) -> Message:
    """The catalog's message ``key`` with ``params`` filled in; ``what`` gets its Chinese name as ``what_zh``."""
    zh, en = CATALOG[key]
    if "what" in params and "what_zh" not in params:
        params["what_zh"] = term(str(params["what"]))
    return Message(key, zh.format(**params), en.format(**params))


# ----------------------------------------------------------------------------------------------- plain text

#: the Chinese names of the enumerated values a message may name (unit kinds, statuses, stages, roles,
#: departments ...): in Chinese text a value is shown by its name, never as the English identifier
ENUM_ZH: dict[str, str] = {
    # org unit kinds
    "province": "省委", "city": "市委", "county": "县委", "township": "乡镇（街道）党（工）委",
    "grassroots_committee": "基层党委", "general_branch": "党总支", "branch": "党支部", "joint_branch": "联合党支部",
    "party_group": "党小组",
    # committee seats
    "secretary": "书记", "deputy_secretary": "副书记", "organization": "组织委员", "propaganda": "宣传委员",
    "discipline": "纪检委员",
    # meetings
    "general_meeting": "支部党员大会", "committee_meeting": "支委会", "group_meeting": "党小组会", "party_lecture": "党课",
    "theme_day": "主题党日", "review_meeting": "组织生活会", "heart_to_heart_talk": "谈心谈话",
    "member_review": "民主评议党员",
    # development stages, classifications
    "applicant": "入党申请人", "activist": "入党积极分子", "target": "发展对象", "probationary": "预备党员",
    "full": "正式党员", "in_work": "在职", "retired": "离退休", "mobile": "流动",
    # the joint political review's departments (政审联审)
    "discipline_inspection": "纪检监察机关", "public_security": "公安机关", "procuratorate": "检察院", "court": "法院",
    # statuses
    "active": "有效", "dissolved": "已撤销", "requested": "已申请", "accepted": "已接收", "completed": "已完成",
    "rejected": "已拒绝", "cancelled": "已取消", "uncovered": "未覆盖", "covered": "已覆盖", "closed": "已关闭",
    "paused": "已暂停", "held": "已召开", "scheduled": "计划召开", "enrolled": "已报名", "withdrawn": "已退出",
    # domains
    "village": "农村", "community": "城市社区", "state_owned_enterprise": "国有企业",
    "private_enterprise": "非公有制企业", "social_organization": "社会组织", "public_institution": "事业单位",
    "school": "学校", "hospital": "公立医院", "government_agency": "机关",
    # a person's dates
    "applied_on": "申请入党日期", "activist_since": "确定为入党积极分子日期", "target_since": "确定为发展对象日期",
    "probationary_since": "接收为预备党员日期", "full_member_since": "转为正式党员日期",
    # sides of a transfer
    "receiving": "转入方", "sending": "转出方",
}


#: parameters that hold values a client sends as they are (the allowed values of a field): never renamed
VERBATIM = frozenset({"choices", "options", "formats", "roles", "other", "claim", "name", "person", "patterns"})


def zh_value(value) -> str:
    """A value as Chinese text shows it: an enumerated value (or a comma-separated list of them) or a domain
    term by its name."""
    text = str(value)
    if text in ENUM_ZH:
        return ENUM_ZH[text]
    if text in TERMS:
        return TERMS[text]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > 1 and all(p in ENUM_ZH for p in parts):
        return "、".join(ENUM_ZH[p] for p in parts)
    return text


def were(n: int, verb: str) -> str:
    """``1 was named`` / ``2 were named`` for the English side."""
    return f"{n} {'was' if n == 1 else 'were'} {verb}"


#: English text raised as it is (``invalid(field, "...")``, ``Problem(..., "...")``, a schema's
#: ``ValidationError("...")``, marshmallow's own field messages, a token's refusal) -> its Chinese. An entry is
#: a ``str.format`` template over the same named parameters; ``translate(text)`` finds the entry whose English
#: template the text fills and renders the Chinese with the same values (enumerated ones by their names).
#: ``tests/kit/test_messages.py`` checks that every such text the code holds has its entry here.
PLAIN: dict[str, str] = {
    # marshmallow's standard field messages (fields and validators)
    "Missing data for required field.": "缺少必填字段",
    "Field may not be null.": "不能为空（null）",
    "Invalid value.": "取值无效",
    "Invalid type.": "类型不正确",
    "Invalid input type.": "输入类型不正确",
    "Unknown field.": "未知字段",
    "Not a valid integer.": "不是有效的整数",
    "Not a valid number.": "不是有效的数字",
    "Number too large.": "数值过大",
    "Special numeric values (nan or infinity) are not permitted.": "不允许 NaN 或无穷大等特殊数值",
    "Not a valid boolean.": "不是有效的布尔值（true/false）",
    "Not a valid string.": "不是有效的字符串",
    "Not a valid utf-8 string.": "不是有效的 UTF-8 字符串",
    "Not a valid UUID.": "不是有效的 UUID",
    "Not a valid date.": "不是有效的日期（如 2024-07-01）",
    "Not a valid datetime.": "不是有效的日期时间（ISO 8601）",
    "Not a valid time.": "不是有效的时间",
    "Not a valid {awareness} {obj_type}.": "不是有效的带时区日期时间（ISO 8601，如 2024-07-01T08:00:00+08:00）",
    "Not a valid period of time.": "不是有效的时长",
    "Not a valid mapping type.": "应为 JSON 对象",
    "Not a valid list.": "应为列表",
    "Not a valid tuple.": "应为元组",
    "Not a valid URL.": "不是有效的网址",
    "Not a valid email address.": "不是有效的电子邮箱地址",
    "Not a valid decimal.": "不是有效的小数",
    "Must be one of: {choices}.": "应为以下之一：{choices}",
    "Must be greater than or equal to {min}.": "应大于或等于 {min}",
    "Must be greater than {min}.": "应大于 {min}",
    "Must be less than or equal to {max}.": "应小于或等于 {max}",
    "Must be less than {max}.": "应小于 {max}",
    "Must be greater than or equal to {min} and less than or equal to {max}.": "应在 {min} 至 {max} 之间",
    "Must be greater than {min} and less than or equal to {max}.": "应大于 {min} 且不大于 {max}",
    "Must be greater than or equal to {min} and less than {max}.": "应不小于 {min} 且小于 {max}",
    "Must be greater than {min} and less than {max}.": "应大于 {min} 且小于 {max}",
    "Shorter than minimum length {min}.": "长度不能少于 {min}",
    "Longer than maximum length {max}.": "长度不能超过 {max}",
    "Length must be between {min} and {max}.": "长度应在 {min} 至 {max} 之间",
    "Length must be {equal}.": "长度应为 {equal}",
    "String does not match expected pattern.": "格式不正确",
    "Must be equal to {other}.": "应等于 {other}",
    "Invalid JSON body.": "请求体不是合法的 JSON",
    # tokens (shared/auth.py)
    "the token has expired": "令牌已过期",
    "the token was issued by an unknown issuer": "令牌的签发者未知",
    "the token's signature does not verify": "令牌签名验证失败",
    "the token lacks the claim {claim}": "令牌缺少声明 {claim}",
    "the token is malformed or not acceptable": "令牌格式错误或不被接受",
    "the token's claim {name} is not a number of seconds": "令牌的声明 {name} 不是秒数",
    "the token's claim sub is not a string": "令牌的声明 sub 不是字符串",
    "the token's roles are missing or unknown": "令牌缺少角色或角色未知",
    "the token's claim scope is not an org unit id": "令牌的声明 scope 不是组织编号",
    "only an admin token may be province-wide; this one has no scope": "只有管理员令牌可以不限范围（全省）；此令牌没有 scope",
    "an Authorization: Bearer token is required": "需要 Authorization: Bearer 令牌",
    "the Authorization header must be 'Bearer <token>'": "Authorization 请求头应为“Bearer <令牌>”",
    # the kit
    "the request has invalid fields; see errors": "请求中有无效字段，见 errors",
    "the change conflicts with an existing record": "此修改与已有记录冲突",
    "the record changed while your change was being applied; read it again and re-apply your change":
        "您修改期间记录已被他人修改；请重新读取后再修改",
    "the record changed since you read it; read it again and re-apply your change":
        "记录在您读取之后已被修改；请重新读取后再修改",
    "send If-Match with the ETag you read, so that no one's change is overwritten":
        "请在 If-Match 中带上读取时得到的 ETag，以免覆盖他人的修改",
    "the server failed; the request id identifies it in the logs": "服务器出错；可凭请求编号在日志中查到原因",
    "the service's database is not answering; try again shortly (a creating request repeated with its "
    "Idempotency-Key is applied once)": "服务的数据库暂时无响应，请稍后重试（带同一 Idempotency-Key 重发的创建请求只会执行一次）",
    "the audit log is read province-wide, with an admin token without scope": "审计日志须用不限范围的全省管理员令牌查看",
    "format must be one of {formats}": "format 应为以下之一：{formats}",
    "one of {formats}": "应为以下之一：{formats}",
    "one of: {options}": "应为以下之一：{options}",
    "the cursor is not one this list gave out": "cursor 不是本列表给出的游标",
    "Idempotency-Key is 1 to 200 printable ASCII characters without spaces":
        "Idempotency-Key 应为 1 至 200 个不含空格的可打印 ASCII 字符",
    "this Idempotency-Key was used for a different request": "此 Idempotency-Key 已用于另一个请求",
    "this needs one of the roles: {roles}": "此操作需要以下角色之一：{roles}",
    "no such {what}": "没有这个{what}",
    "each key appears once": "每个键只能出现一次",
    # org
    "a date in the future: record what happened, once it has": "日期晚于今天：请在事情发生之后再登记",
    "a {kind} does not elect a committee here": "{kind}不在此选举委员会",
    "the current committee was elected on {on}; a new election comes after it": "现任委员会选举于{on}，新的选举须在其之后",
    "no such seat on the current committee": "现任委员会中没有这个职位",
    "the seat is already vacant since {since}": "该职位自{since}起已空缺",
    "the holder took the seat on {since}": "任职人于{since}就任该职位",
    "the committee was elected on {on}": "委员会选举于{on}",
    "the secretary and deputy are approved by the upper committee's organization department":
        "书记、副书记由上级党组织的组织部门审批",
    "only the secretary and the deputy secretary are approved": "只有书记和副书记需要审批",
    "the seat is vacant": "该职位空缺",
    "the holder was elected on {since}": "任职人选举于{since}",
    "the seat is not vacant; declare the vacancy first": "该职位并未空缺；请先登记空缺",
    "the unit your scope is rooted at is dissolved from above": "您的管理范围所在的组织已被上级撤销",
    "the members must move out of the dissolved unit's subtree": "党员须转出被撤销组织及其下级组织",
    "a {kind} keeps no members; name a branch or a committee": "{kind}不直接管理党员；请指定党支部或党委",
    "party groups are set up inside a branch, not a {kind}": "党小组设在党支部内，不能设在{kind}",
    "{person} is not a member (full or probationary) on this branch's roll": "{person}不是本支部名册上的党员（正式或预备）",
    "{name} is already in a party group": "{name}已在一个党小组中",
    "leaders are registered at a party committee (province, city, county, township or grassroots committee), not "
    "at a {kind}": "领导干部登记在党委（省、市、县、乡镇或基层党委），不能登记在{kind}",
    "the leader left on {on}": "该领导干部已于{on}离任",
    "the leader started on {on}": "该领导干部于{on}到任",
    "a liaison point is a branch (or a grassroots organization), not a {kind}": "联系点应为党支部（或基层党组织），不能是{kind}",
    "the liaison point ended on {on}": "该联系点已于{on}结束",
    "the liaison point started on {on}": "该联系点始于{on}",
    "the liaison branch lies outside the leader's committee": "联系的支部不在该领导干部所在党委的范围内",
    "'from' is after 'to'": "开始日期（from）晚于结束日期（to）",
    "a {kind} does not hold a {meeting}": "{kind}不召开{meeting}",
    "a {kind} keeps no organizational life of its own here": "{kind}在此不单独开展组织生活",
    "no one is entitled to attend: give the number entitled": "没有应到人员：请填写应到人数",
    "a general or committee meeting records how many were present": "党员大会或支委会须登记实到人数",
    "more present ({present}) than entitled ({entitled})": "实到人数（{present}）多于应到人数（{entitled}）",
    "more present than entitled": "实到人数多于应到人数",
    "a date in the future: record the funds once received": "日期晚于今天：请在经费到位后再登记",
    "an entity with this credit code is already listed": "该统一社会信用代码的单位已登记",
    "give the date the instructor was assigned": "请填写选派党建指导员的日期",
    "the entity is {status}; its record is closed": "该单位状态为{status}，记录已关闭",
    "a {kind} does not cover an entity; name its branch": "{kind}不直接覆盖单位；请指定其党支部",
    "give the date the branch was set up": "请填写党支部成立日期",
    "name the branch that now covers the entity": "请指定现在覆盖该单位的党支部",
    "the unit is dissolved": "该组织已撤销",
    "the unit was dissolved on {on}": "该组织已于{on}撤销",
    "another unit already has this code": "另一个组织已使用此编码",
    "the unit your scope is rooted at is moved from above": "您的管理范围所在的组织已被上级调整隶属关系",
    "a party group stays in its branch; set up a new group in the other branch": "党小组不能转到其他支部；请在另一支部新设党小组",
    "a unit cannot move under itself or its own sub-units": "组织不能调整到自身或其下级组织之下",
    "give either seat_id (a vacant seat) or role (a new seat)": "请填写 seat_id（空缺职位）或 role（新职位）之一",
    "letters, digits, _ . - (at most 64)": "只能由字母、数字和 _ . - 组成（最多 64 位）",
    "give at least one field to change": "请至少填写一个要修改的字段",
    "change at least one field": "请至少修改一个字段",
    "no venue: leave its name and area out": "没有活动场所时，不要填写场所名称和面积",
    "a due date between 2000-01-01 and 2100-12-31": "到期日应在 2000-01-01 至 2100-12-31 之间",
    # members
    "the person left on {on} ({reason})": "此人已于{on}离开党组织（{reason}）",
    "already out of contact since {since}": "自{since}起已登记为失联",
    "the member is not recorded as out of contact": "该党员未登记为失联",
    "already suspended since {since}": "自{since}起已停止党籍",
    "no correction period is under way": "没有正在进行的整改期",
    "留党察看 is a discipline of full members": "留党察看只适用于正式党员",
    "the member is not under 留党察看": "该党员未受留党察看处分",
    "points for this reference were already awarded to this member": "此事项的积分已给该党员记过",
    "this record is already a reversal or already reversed": "此记录本身是冲销记录或已被冲销",
    "a person with this national ID number is already registered (该身份证号码已登记)": "该身份证号码已登记",
    "changing a national ID number needs a role that may see it": "修改身份证号码需要有权查看它的角色",
    "the {year} review of this branch is already recorded": "本支部{year}年度的评议已登记",
    "a transfer that is {status} cannot become {target}": "状态为{status}的转接不能改为{target}",
    "only the {side} side may mark a transfer {status}": "只有{side}可以将转接标记为{status}",
    "the receiving unit is no longer active": "转入的组织已不存在（已撤销）",
    "not a phone number (digits, spaces and dashes, 5 to 20)": "不是有效的电话号码（5 至 20 位数字、空格或短横线）",
    "18 digits or capital letters": "应为 18 位数字或大写字母",
    "an amount in yuan, as a number or decimal text": "应为以元计的金额（数字或小数文本）",
    "a finite amount": "金额应为有限数",
    "at most 2 decimals (the fen)": "最多两位小数（到分）",
    "from 0 to {most}": "应在 0 至 {most} 之间",
    "a month as YYYY-MM (2000-01 to 2100-12)": "应为月份 YYYY-MM（2000-01 至 2100-12）",
    "is before the member arrived ({on})": "早于该党员到达之日（{on}）",
    "is after today": "晚于今天",
    "dated {on}, before the previous step ({step}, {day})": "日期 {on} 早于上一步骤（{step}，{day}）",
    "dated {on}, before the person's last stage date ({day})": "日期 {on} 早于此人最近一个阶段的日期（{day}）",
    "a name cannot be empty": "姓名不能为空",
    "its birth date is not the person's birth date": "其中的出生日期与此人登记的出生日期不符",
    "a review of {year} is held in {year} or early {next}": "{year}年度的评议应在{year}年或{next}年初进行",
    "a person is listed twice": "有人员被重复列出",
    "not a party member of this branch: {ids}": "不是本支部的党员：{ids}",
    "full members are graded: {ids}": "正式党员须确定等次：{ids}",
    "a subsidy goes to an organization under the granting committee": "补助只能发给下拨党委所属的党组织",
    "the letter the member brought: its number, date of issue and the arrival": "请填写党员带来的介绍信：编号、开具日期和到达日期",
    "the member already belongs to this unit": "该党员已属于这个组织",
    "does not match the birth date in the ID number": "与身份证号码中的出生日期不符",
    "does not match the gender in the ID number": "与身份证号码中的性别不符",
    "required unless the ID number is given": "未填身份证号码时必填",
    "is in the future": "不能晚于今天",
    "a person registered as {stage} needs this date": "登记为{stage}的人员须填写此日期",
    "belongs to a later stage than {stage}": "属于比{stage}更晚的阶段",
    "is before {previous} ({day})": "早于{previous}（{day}）",
    "is before the birth date": "早于出生日期",
    "is before the probation ended ({day})": "早于预备期满之日（{day}）",
    "a person registered as {stage} has reached a step from {low} to {high}":
        "登记为{stage}的人员已完成的步骤应在 {low} 至 {high} 之间",
    "the application is done: give its date": "入党申请已提交：请填写申请日期",
    "only the {side} side records {what}": "只有{side}可以登记{what}",
    "only the receipt of an arrived letter not yet returned is recorded": "只能登记已到达且尚未退回的介绍信的回执",
    "a letter that is {status} cannot expire": "状态为{status}的介绍信不能作过期处理",
    "give exactly one of to_unit_id, to_external, from_external": "to_unit_id、to_external、from_external 三者须且只能填写一个",
    "the letter the member brought": "党员带来的介绍信",
    "only a transfer into the province brings a letter": "只有转入本省的组织关系转接才带有介绍信",
    "the letter arrives when the receiving branch completes the transfer": "接收方党支部办结转接时介绍信即到达",
    "a letter that is {status} cannot arrive": "状态为{status}的介绍信不能登记到达",
    "a transfer that is {status} cannot be completed": "状态为{status}的转接不能办结",
    # training
    "not a session of this class": "不是本培训班的课程",
    "the session has not begun (it starts at {at})": "课程尚未开始（开始于 {at}）",
    "an offline class needs a place": "线下培训班须填写地点",
    "the session lies outside the class dates": "课程时间不在培训班的起止日期之内",
    "some people are not active members of the party": "部分人员不是在册党员",
    "more than {cap} people are not yet covered in this subtree; an export lists at most {cap}: choose a smaller "
    "subtree with under=, or page through the JSON": "此范围内尚未覆盖的人员超过 {cap} 人，导出最多列 {cap} 人：请用 under= "
                                                      "选择较小范围，或分页读取 JSON",
    "rotation is planned for a county": "轮训计划以县为单位制定",
    "this plan was confirmed already": "此计划已确认",
    "classes are run by a province, city, county or township": "培训班由省、市、县或乡镇党委举办",
    "a class ends on or after the day it starts": "培训班的结束日期不能早于开始日期",
    "a session ends after it starts": "课程的结束时间应晚于开始时间",
    "class hours are a positive multiple of 0.5": "学时应为 0.5 的正整数倍",
    # evaluation
    "{name} must lie between {low} and {high}": "{name} 应在 {low} 至 {high} 之间",
    "inputs are entered for rated branches ({rated}), not a {kind}": "评价数据针对参评支部（{rated}）填报，不能是{kind}",
    "this input is already entered for the branch and year; change it with PATCH": "该支部本年度的此项数据已填报；请用 PATCH 修改",
    "problem lists are kept for branches ({rated}), not a {kind}": "问题清单针对支部（{rated}）建立，不能是{kind}",
    "say why the rectification is sent back": "请说明退回整改的原因",
    "version {version} is published; a correction needs a reason": "第 {version} 版已发布；更正须说明原因",
    "no rated branch belongs to this region": "此地区没有参评的支部",
    "this region already has a scorecard; change it with PUT to add a version": "此地区已有评分表；请用 PUT 增加新版本",
    "a {kind} is not a county, city or province": "{kind}不是县、市或省委",
    "a year that has not begun": "该年度尚未开始",
    "give either an indicator or a manual input": "请填写指标（indicator）或人工录入项之一",
    "min, max and higher_is_better belong to manual inputs": "min、max 和 higher_is_better 只用于人工录入项",
    "transform and target belong to indicators": "transform 和 target 只用于指标",
    "the range must lie within {low}..{high} with min < max": "取值范围应在 {low} 至 {high} 之内，且 min < max",
    "the weights add up to {total}; they must add up to 100": "权重合计为 {total}，应为 100",
    "exemplars are branches ({rated}), not a {kind}": "示范党支部和先进典型针对支部（{rated}）评选，不能是{kind}",
    "say why the title is withdrawn": "请说明撤销称号的原因",
    "'ends_on' is before 'starts_on'": "结束日期（ends_on）早于开始日期（starts_on）",
    "give the day the candidate left the pool": "请填写该人选退出后备人选库的日期",
    # webhooks
    "the port is not a number from 1 to 65535": "端口应为 1 至 65535 之间的数字",
    "a glob over event types such as members.stage.* or * (letters, digits, _, *, dots)":
        "事件类型的通配模式，如 members.stage.* 或 *（字母、数字、_、* 和点）",
    "an absolute http(s) URL": "应为完整的 http(s) 网址",
    "lower-case letters, digits and _ (at most 40)": "只能由小写字母、数字和 _ 组成（最多 40 位）",
    "give either event_id or since": "请填写 event_id 或 since 之一",
    "give either url (a webhook) or email (a daily digest)": "请填写 url（网络钩子）或 email（每日摘要）之一",
}

_PLAIN_PATTERNS: list | None = None


def _patterns() -> list:
    global _PLAIN_PATTERNS
    if _PLAIN_PATTERNS is None:
        import re

        compiled = []
        for en, zh in PLAIN.items():
            parts, seen, pattern = re.split(r"\{(\w+)\}", en), set(), ""
            for i, part in enumerate(parts):
                if i % 2 == 0:
                    pattern += re.escape(part)
                else:
                    pattern += f"(?P={part})" if part in seen else f"(?P<{part}>.+?)"
                    seen.add(part)
            compiled.append((re.compile(f"^{pattern}$", re.S), zh, len(parts) == 1))
        compiled.sort(key=lambda entry: not entry[2])   # exact texts first
        _PLAIN_PATTERNS = compiled
    return _PLAIN_PATTERNS


def translate(text: str) -> Message | None:
    """The catalog's message for English ``text`` raised as it is (see ``PLAIN``), or None."""
    for pattern, zh, _ in _patterns():
        found = pattern.match(text)
        if found:
            params = {k: v if k in VERBATIM else zh_value(v) for k, v in found.groupdict().items()}
            return Message("plain", zh.format(**params), text)
    return None


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def bilingual(text) -> str:
    """A field message as a problem shows it: ``中文 / English`` (one already in Chinese is left as it is)."""
    if isinstance(text, Message):
        return str(text)
    text = str(text)
    if has_chinese(text):
        return text
    found = translate(text)
    return str(found) if found is not None else text
