"""HQ's words, in Chinese and English: why a pushed record is refused or flagged (`REASONS`), and every refusal a
service raises (`ERRORS`, keyed as `HqError.key`).

They reach the inspector's screen (or the HQ admin's console) verbatim, in the asker's language, so they say what
happened and what to do."""

from __future__ import annotations

from checklists.i18n import Catalogue, Plural

REASONS = Catalogue(
    "hq.reasons",
    {
        "id_mismatch": (
            "记录内的编号 {inner} 与提交项编号 {outer} 不一致",
            "the record's id {inner} differs from the item id {outer}",
        ),
        "invalid_record": ("记录格式不正确：{detail}", "the record is not valid: {detail}"),
        "not_submitted": ("只有已提交的检查记录才会上传总部（草稿留在本机）", "only submitted inspections go to HQ"),
        "rev_reused": (
            "版本 {rev} 已以不同内容上传过；同一版本不能改变内容，请重新保存后再同步",
            "version {rev} was already received with different content; save again to make a new version",
        ),
        "inspection_immutable": (
            "检查记录 {id} 已提交（版本 {rev}），提交后不可修改；请新建一条更正检查（注明替代原记录）",
            "inspection {id} was already submitted (version {rev}) and cannot change; "
            "correct it with a new inspection that supersedes it",
        ),
        "not_owner": (
            "{kind} {id} 属于 {owner}，不能由 {user} 修改",
            "{kind} {id} belongs to {owner}; {user} may not change it",
        ),
        "kind_clash": ("编号 {id} 已被另一类记录（{kind}）使用", "id {id} is already used by a {kind} record"),
        "supersede_foreign": (
            "不能替代他人的检查记录 {target}（属于 {owner}）",
            "cannot supersede inspection {target}: it belongs to {owner}",
        ),
        "supersede_kind": (
            "被替代的 {target} 不是检查记录",
            "{target} is not an inspection, so it cannot be superseded",
        ),
        "problem_stale": (
            "总部的问题 {id} 已有更新的版本（{current}），本机的修改已保留，待审核人员处理",
            "HQ has a newer version ({current}) of problem {id}; your change was kept for a reviewer to reconcile",
        ),
        "demo_site": ("演示点位的检查不上传", "inspections of demo sites are not uploaded"),
        "inspectors_close": ("检查员复查已整改，按总部设置直接销号", "re-inspected as fixed; closed by HQ's setting"),
        "unknown_problem": (
            "总部没有问题 {problem}（可能尚未上传或已被拒绝），该跟进记录无法登记",
            "HQ has no problem {problem} (not uploaded yet, or refused), so this event cannot be recorded",
        ),
        "event_changed": (
            "跟进记录 {id} 已上传，记录只能追加、不能修改",
            "event {id} was already received; events are append-only and cannot change",
        ),
        "reviewer_only": (
            "「{action}」只能由审核人员或管理员操作；{user} 的角色是督查员",
            "only a reviewer or admin may {action}; {user} is an inspector",
        ),
        "not_visible": (
            "问题 {problem} 不在 {user} 负责的点位内，也不是其发现的问题",
            "problem {problem} is not at a site assigned to {user}, nor found by {user}",
        ),
        "too_long": ("字段 {field} 过长（最多 {max} 个字符）", "field {field} is too long (at most {max} characters)"),
        "store_failed": (
            "总部无法保存该记录：{detail}",
            "HQ could not store this record: {detail}",
        ),
    },
)

ERRORS = Catalogue(
    "hq.errors",
    {
        # settings
        "setting_value": ("设置项 {name} 的值应为 on 或 off，而不是 {value}", "{name} takes on or off, not {value}"),
        # who is asking
        "no_token": (
            "该请求需要设备凭据（Authorization: Bearer ...）；请先绑定设备",
            "this request needs a device token (Authorization: Bearer ...); enroll first",
        ),
        "bad_token": (
            "Authorization 请求头应为 'Bearer <设备凭据>'",
            "the Authorization header must be 'Bearer <device token>'",
        ),
        "unknown_token": (
            "总部不认识该设备凭据；请重新绑定本设备",
            "HQ does not know this device token; enroll this device again",
        ),
        "revoked": (
            "该设备已于 {at} UTC 被总部停用；请向总部索取新的绑定码",
            "this device was revoked at HQ on {at} UTC; ask HQ for a new code",
        ),
        "forbidden": (
            "此操作需要 {roles} 角色；{user} 的角色是 {role}",
            "this needs the {roles} role; {user} is {role}",
        ),
        "bad_code": (
            "总部不认识该绑定码；请核对，或向总部索取新的绑定码",
            "this enrollment code is not known at HQ; check it or ask HQ for a new one",
        ),
        "code_used": (
            "该绑定码已被使用；请向总部索取新的绑定码",
            "this enrollment code was already used; ask HQ for a new one",
        ),
        "code_expired": (
            "该绑定码已过期；请向总部索取新的绑定码",
            "this enrollment code has expired; ask HQ for a new one",
        ),
        # push and pull
        "push_invalid": ("上传请求格式不正确：{summary}", "the push request is not valid: {summary}"),
        "busy": (
            "总部数据库繁忙或不可用；本次未做任何更改，请稍后重试",
            "the HQ database is busy or unavailable; nothing was applied, retry later",
        ),
        "bad_cursor": ("游标 {cursor} 不是本服务器发出的", "the cursor {cursor} was not issued by this server"),
        "bad_limit": ("limit 应在 1 到 {max} 之间", "limit must be between 1 and {max}"),
        "too_large": (
            "请求内容超过该接口允许的大小（{limit} 字节）",
            "the request body is larger than this endpoint accepts ({limit} bytes)",
        ),
        # reference data
        "site_id_too_long": (
            "点位编号 {id}... 超过 200 个字符",
            "site id {id}... is longer than 200 characters",
        ),
        "checklist_published": (
            "检查表 {checklist} 已以不同内容发布；已发布的版本不能修改：请以新版本号发布",
            "checklist {checklist} is already published with other content; "
            "a published version never changes: publish it under a new version",
        ),
        "checklist_version_taken": (
            "检查表 {checklist} 已于 {at} 以不同内容发布（不同之处：{differs}；+ 新增条目，- 删除条目，~ 修改条目）；"
            "已发布的版本不能修改，请改用新的版本号（version）再发布",
            "checklist {checklist} was published on {at} with other content (differs in: {differs}; + items added, "
            "- removed, ~ changed); a published version never changes: publish it under a new version",
        ),
        "unknown_user": ("总部没有这些用户：{names}", "no such user at HQ: {names}"),
        # photos
        "bad_hash": (
            "照片以其 sha256 命名：64 位小写十六进制数字",
            "an attachment is named by its sha256: 64 lowercase hex digits",
        ),
        "type_not_accepted": ("照片类型应为 {types} 之一；收到的是 {got}", "photos must be one of {types}; got {got}"),
        "type_missing": ("照片类型应为 {types} 之一；请求未注明类型", "photos must be one of {types}; got none"),
        "empty": ("上传的照片是空的", "the photo upload was empty"),
        "hash_mismatch": (
            "上传内容的 sha256 是 {actual}，不是 {sha}：上传途中损坏，请重试",
            "the uploaded bytes have sha256 {actual}, not {sha}: the upload was damaged, retry",
        ),
        "bytes_not_declared": (
            "上传内容实际是 {actual}，不是 {declared}",
            "the uploaded bytes are {actual}, not {declared}",
        ),
        "bytes_unknown": (
            "上传内容不是可识别的图片类型，不是 {declared}",
            "the uploaded bytes are not a known image type, not {declared}",
        ),
        "photo_not_found": ("总部没有照片 {sha}", "HQ does not hold the photo {sha}"),
        "thumbnail_failed": (
            "照片 {sha} 无法生成缩略图（{reason}），请打开原图查看",
            "no thumbnail can be made of photo {sha} ({reason}): open the full image",
        ),
        # users (the `inspector hq user` commands)
        "user_name": ("用户名应为 1 到 200 个字符", "a user name must be 1 to 200 characters"),
        "user_role_clash": (
            "用户 {name} 已存在，角色是 {role}，不是 {wanted}",
            "user {name} already exists with the role {role}, not {wanted}",
        ),
        "no_user": ("没有名为 {name} 的用户", "no user named {name}"),
        # rounds (`inspector hq round add`)
        "round_name": ("批次名称应为 1 到 {max} 个字符", "a round's name must be 1 to {max} characters"),
        "round_dates": (
            "批次的开始日期 {start} 晚于结束日期 {end}",
            "the round starts on {start}, after its end {end}",
        ),
        "no_device": (
            "没有编号为 {id} 的设备；请用 inspector hq device list 查看",
            "no device with the id {id}; see inspector hq device list",
        ),
        # the web console's sign-in (services/console_auth.py)
        "bad_signin": ("用户名或密码不正确", "wrong user name or password"),
        "signin_throttled": (
            "尝试次数过多，请 {seconds} 秒后再试",
            Plural(
                "too many attempts: try again in {seconds} second",
                "too many attempts: try again in {seconds} seconds",
                count="seconds",
            ),
        ),
        "console_role": (
            "督查员用设备同步，不能登录总部控制台；只有复核员和管理员可以设置密码",
            "inspectors sync from their devices and cannot sign in to the console; "
            "only reviewers and admins get a password",
        ),
        "password_short": ("密码至少需要 {n} 个字符", "a password needs at least {n} characters"),
        "password_long": ("密码最多 {n} 个字符", "a password may have at most {n} characters"),
        "no_session": ("请先登录", "please sign in"),
        "session_expired": (
            "长时间未操作，已自动退出；请重新登录",
            "signed out after a while without activity; sign in again",
        ),
        "console_bad_param": (
            "参数 {param} 的值不正确：{value}",
            "the parameter {param} has an invalid value: {value}",
        ),
        "console_no_record": ("总部没有编号为 {id} 的记录", "HQ holds no record with the id {id}"),
        "console_nothing_selected": ("没有选择任何问题", "no problem is selected"),
        "action_reason": ("作废和挂账须写明原因", "voiding or shelving needs a reason"),
        "bad_csrf": (
            "表单已过期或不是从本页提交的；请刷新页面后重试（未作任何更改）",
            "the form is stale or was not sent from this page; reload and try again (nothing was changed)",
        ),
    },
)

# Reading HQ's spreadsheets (sheets.py) and checking their rows (site_import.py, assign_import.py). `at_*` say where;
# the others say why, after a colon.
SHEETS = Catalogue(
    "hq.sheets",
    {
        "at_cell": ("{file} 第{row}行 第{col}列（{name}）", "{file} row {row}, column {col} ({name})"),
        "at_row": ("{file} 第{row}行", "{file} row {row}"),
        "at_file": ("{file}", "{file}"),
        # the file as a whole
        "not_found": ("文件不存在", "no such file"),
        "is_directory": ("这是一个文件夹，不是表格文件", "this is a folder, not a spreadsheet"),
        "unreadable": ("无法读取：{error}", "cannot read it: {error}"),
        "too_big": (
            "文件超过 {mb} MB，不像点位或分配表",
            "the file is over {mb} MB: not a registry or assignment list",
        ),
        "empty_file": ("文件是空的", "the file is empty"),
        "no_rows": ("只有表头，没有数据行", "there is a header but no data rows"),
        "too_many_rows": ("超过 {max} 行；请分成几个文件", "more than {max} rows; split the file"),
        "not_sheet.docx": (
            "这是 Word/PowerPoint 文档，不是表格；请在 Excel 中另存为 .xlsx 或 .csv",
            "this is a Word or PowerPoint document, not a spreadsheet; save it from Excel as .xlsx or .csv",
        ),
        "not_sheet.xls": (
            "这是旧版 Excel 97-2003（.xls）文件；请在 Excel 中另存为 .xlsx",
            "this is an old Excel 97-2003 (.xls) file; save it from Excel as .xlsx",
        ),
        "not_sheet.zip": (
            "这是压缩包，不是 .xlsx 表格；请解压或另存为 .xlsx",
            "this is a zip archive, not an .xlsx workbook; unpack it or save as .xlsx",
        ),
        "not_sheet.other": (
            "这不是表格文件（内容是 {kind}）；只接受 .xlsx 和 .csv",
            "this is not a spreadsheet (its bytes are {kind}); only .xlsx and .csv are read",
        ),
        "bad_encoding": (
            "无法识别的字节 {bytes}，文件不是 {encoding} 编码；请在 Excel 中另存为“CSV UTF-8”",
            'unreadable bytes {bytes}: the file is not {encoding}; save it from Excel as "CSV UTF-8"',
        ),
        "bad_csv": ("CSV 格式错误：{error}", "malformed CSV: {error}"),
        "bad_xlsx": ("无法打开这个 .xlsx 文件（可能已损坏）：{error}", "cannot open this .xlsx (damaged?): {error}"),
        # the header and the cells
        "missing_column": ("缺少必需的列：{name}", "a required column is missing: {name}"),
        "duplicate_heading": ("与第 {first} 列重复", "the same heading as column {first}"),
        "merged_header": (
            "表头有合并单元格 {cells}；请取消合并，每列一个表头",
            "the header has merged cells {cells}; unmerge them, one heading per column",
        ),
        "merged": (
            "合并单元格 {cells}：只有第一格有值；请取消合并并在每一行填写",
            "merged cells {cells}: only the first holds the value; unmerge and fill in every row",
        ),
        "formula": (
            "单元格 {cell} 是公式（{formula}）；请复制后“粘贴为数值”",
            "cell {cell} is a formula ({formula}); copy it and paste as values",
        ),
        "empty": ("不能为空", "must not be empty"),
        "invalid_row": ("这一行不符合要求：{error}", "this row is not valid: {error}"),
        "too_long": ("超过 {max} 个字符", "longer than {max} characters"),
        # sites
        "duplicate_name": ("点位名称 {name} 与第 {first} 行重复", "the site name {name} repeats row {first}"),
        "duplicate_id": ("编号 {id} 与第 {first} 行重复", "the id {id} repeats row {first}"),
        "bad_id": (
            "编号 {id} 只能含字母、数字和 _ . : -，最多 64 个字符",
            "the id {id} may hold only letters, digits and _ . : -, at most 64 characters",
        ),
        "unknown_checklist": (
            "总部没有发布检查表 {checklist}（已发布：{published}）；请先运行 inspector hq checklist publish",
            "HQ has not published the checklist {checklist} (published: {published}); "
            "run inspector hq checklist publish first",
        ),
        "checklist_type_mismatch": (
            "检查表 {checklist} 适用于 {types}，不适用于类型 {type}",
            "the checklist {checklist} is for {types}, not for the site type {type}",
        ),
        "no_checklist_for_type": (
            "总部没有适用于类型 {type} 的检查表（已发布的类型：{types}）；请填写检查表列或先发布检查表",
            "HQ has no checklist for the site type {type} (published types: {types}); "
            "fill in the checklist column or publish one first",
        ),
        # assignments
        "unknown_inspector": (
            "总部没有用户 {name}；请先运行 inspector hq user add",
            "HQ has no user {name}; run inspector hq user add first",
        ),
        "revoked_inspector": ("用户 {name} 已被停用", "the user {name} is revoked"),
        "unknown_site": ("总部没有编号或名称为 {site} 的点位", "HQ has no site with the id or name {site}"),
        "ambiguous_site": (
            "有多个点位名为 {site}（编号 {ids}）；请改填编号",
            "several sites are named {site} (ids {ids}); give the id instead",
        ),
        "duplicate_assignment": ("与第 {first} 行重复", "repeats row {first}"),
    },
    prefixes=("not_sheet.",),
)
