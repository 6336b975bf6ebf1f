"""The checklist loader and `checklist validate`: every broken file gets `FILE:LINE: message`, in Chinese or English.

Each fixture in tests/data/broken_checklists/ has one mistake; its first line says where. The table below pins
the exact line and a key part of the message in both languages, so a regression in line mapping shows up.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import checklists.messages
import checklists.validate
from checklists.i18n import Catalogue, placeholders
from checklists.loader import ChecklistError, load_checklist, load_file, load_files, load_module
from checklists.registry import BUILTIN_DIR
from checklists.schema import Checklist, Module
from checklists.validate import validate_main

BROKEN = Path(__file__).parent / "data" / "broken_checklists"

VALID = """\
id: my-list
version: "1"
title: 我的检查表
site_type: 楼院
sections:
  - title: A 本地
    items:
      - code: MY-A-01
        title: 楼道
        text: 楼道无堵塞
        severity: 严重
        quick_picks: [楼道堆物, 楼道停车]
  - title: B 通用
    include: public-common
"""


def validate(paths: list[str | Path], lang: str = "zh") -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    code = validate_main([str(p) for p in paths], out, err, lang=lang)
    return code, err.getvalue().splitlines(), out.getvalue()


# (fixture, line, part of the Chinese message, part of the English message)
CASES = [
    ("yaml_syntax.yaml", 10, "YAML 语法错误", "YAML syntax error"),
    ("unknown_field.yaml", 12, "未知字段 `sections[0].items[0].quick_pick`（是不是 `quick_picks`？）", "did you mean"),
    ("missing_field.yaml", 12, "缺少必填字段 `sections[0].items[1].text`", "missing required field"),
    ("wrong_type.yaml", 12, "`sections[0].items[0].quick_picks` 应为列表", "must be a list"),
    ("duplicate_code.yaml", 17, "条目编号 LY-A-01 重复（第 9 行已使用）", "LY-A-01 is used twice (first on line 9)"),
    ("duplicate_code_module.yaml", 11, "已由第 8 行 include 的模块 public-common 提供", "module public-common"),
    ("empty_section.yaml", 12, "没有条目，也没有 include 模块", "has no items and includes no module"),
    ("missing_module.yaml", 8, "找不到 include 的模块 no-such-module", "module no-such-module not found"),
    ("empty.yaml", 1, "文件是空的", "the file is empty"),
    ("top_level_list.yaml", 2, "顶层必须是“键: 值”的映射", "top level must be a mapping"),
    ("duplicate_key.yaml", 12, "键 `text` 重复（第 11 行已出现）", "duplicate key `text`"),
    ("bad_code.yaml", 9, "'ly_a_01' 格式不对", "is malformed"),
    ("bad_severity.yaml", 13, "'很严重' 无效：严重程度只能是 一般 或 严重", "is not a severity"),
    ("tab_indent.yaml", 4, "不能用 Tab 缩进", "tabs cannot indent"),
    ("two_documents.yaml", 4, "只能有一个 YAML 文档", "one YAML document"),
    ("unclosed_quote.yaml", 10, "引号没有闭合", "quote is never closed"),
    (
        "bad_cg_code.yaml",
        12,
        "`sections[0].items[0].cg_code` 应为文本，实际是数字 6036",
        "must be text, not the number",
    ),
]


@pytest.mark.parametrize(("name", "line", "zh", "en"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_broken_file_gets_file_line_and_message(name: str, line: int, zh: str, en: str, lang: str) -> None:
    path = BROKEN / name
    code, errors, out = validate([path], lang=lang)
    assert code == 1
    assert out == ""
    assert len(errors) == 1, errors
    prefix = f"{path}:{line}: "
    assert errors[0].startswith(prefix), errors
    assert (en if lang == "en" else zh) in errors[0]


def test_the_fixture_comments_agree_with_the_table() -> None:
    """Each fixture's first-line comment names the line; keep the two in step so the fixtures stay readable."""
    for name, line, _, _ in CASES:
        first = (BROKEN / name).read_text(encoding="utf-8").splitlines()[:1]
        if first:
            assert f"第 {line} 行" in first[0], name


def test_all_errors_of_one_file_are_reported_at_once() -> None:
    path = BROKEN / "many_errors.yaml"
    code, errors, _ = validate([path])
    assert code == 1
    lines = [int(e.split(":")[1]) for e in errors]
    assert lines == [2, 6, 13, 14, 16, 19, 22], errors
    assert "未知字段 `colour`" in errors[1]
    assert "缺少必填字段 `sections[0].items[1].text`" in errors[3]
    assert "LY-A-01 重复（第 10 行已使用）" in errors[4]


def test_errors_in_a_local_module_point_into_the_module_file() -> None:
    checklist = BROKEN / "local_module" / "checklist.yaml"
    module = BROKEN / "local_module" / "local-items.yaml"
    code, errors, _ = validate([checklist])
    assert code == 1
    assert errors[0].startswith(f"{checklist}:8: ") and "local-items" in errors[0]
    assert errors[1].startswith(f"{module}:13: ") and "min_photos` 不能小于 0" in errors[1]


def test_not_utf8_points_at_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    text = 'id: gbk\nversion: "1"\ntitle: 检查表\nsite_type: 楼院\nsections:\n  - title: 飞线充电\n'
    path.write_bytes(text.encode("utf-8").replace("飞线充电".encode(), "飞线充电".encode("gbk")))
    for lang, words in (("zh", "不是 UTF-8 编码"), ("en", "not UTF-8")):
        code, errors, _ = validate([path], lang=lang)
        assert code == 1
        assert errors == [errors[0]] and errors[0].startswith(f"{path}:6: ") and words in errors[0]


def test_a_missing_file_and_a_directory_are_errors_too(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, errors, _ = validate([missing, tmp_path])
    assert code == 1
    assert errors == [f"{missing}:0: 文件不存在", f"{tmp_path}:0: 这是一个目录，不是检查表文件"]
    _, errors_en, _ = validate([missing], lang="en")
    assert errors_en == [f"{missing}:0: file not found"]


def test_a_key_that_is_not_text_is_worded_and_put_on_its_own_line(tmp_path: Path) -> None:
    """`true:`, `1:` or `~:` where a field name belongs: pydantic calls `true` 1 and says "Keys should be strings";
    the author gets the line of the key as written and the wording of the catalogue."""
    path = tmp_path / "keys.yaml"
    path.write_text(VALID + "true: x\n", encoding="utf-8")
    _, errors, _ = validate([path])
    assert errors == [f"{path}:15: 文件顶层的键应为字段名（文本），实际是布尔值 true"]
    nested = VALID.replace(
        "        severity: 严重\n", "        severity: 严重\n        evidence: {note_required: true, ~: 2}\n"
    )
    path.write_text(nested, encoding="utf-8")
    _, errors, _ = validate([path], lang="en")
    assert errors == [
        f"{path}:12: the keys of `sections[0].items[0].evidence` must be field names (text), not empty (null)"
    ]


def test_a_photo_count_that_is_not_finite_is_worded_too(tmp_path: Path) -> None:
    path = tmp_path / "nan.yaml"
    path.write_text(
        VALID.replace("        severity: 严重\n", "        severity: 严重\n        evidence: {min_photos: .nan}\n"),
        encoding="utf-8",
    )
    _, errors, _ = validate([path], lang="en")
    assert errors == [
        f"{path}:12: `sections[0].items[0].evidence.min_photos` must be a whole number, not the number nan"
    ]


def test_ok_lines_count_in_english_singular_and_plural(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text('module: one\nversion: "1"\ntitle: t\nitems:\n  - code: X-1\n    title: t\n    text: x\n', "utf-8")
    assert validate([path], lang="en")[2] == f"{path}: OK (module one@1: 1 item)\n"
    assert validate([path])[2] == f"{path}: OK（模块 one@1，1 个条目）\n"


def test_valid_files_print_ok_and_return_zero(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(VALID, encoding="utf-8")
    code, errors, out = validate([path, *sorted(BUILTIN_DIR.glob("*.yaml"))])
    assert (code, errors) == (0, [])
    assert f"{path}: OK（检查表 my-list@1，2 个分节，18 个条目）" in out
    assert out.count(": OK") == 4
    _, _, out_en = validate([path], lang="en")
    assert out_en == f"{path}: OK (checklist my-list@1: 2 sections, 18 items)\n"


def test_one_bad_file_among_good_ones_makes_the_exit_code_one(tmp_path: Path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text(VALID, encoding="utf-8")
    code, errors, out = validate([good, BROKEN / "bad_code.yaml"])
    assert code == 1
    assert len(errors) == 1 and "bad_code.yaml:9:" in errors[0]
    assert "mine.yaml: OK" in out


def test_includes_are_resolved_in_order_and_leave_a_self_contained_checklist(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(VALID, encoding="utf-8")
    checklist, errors = load_checklist(path)
    assert errors == []
    assert isinstance(checklist, Checklist)
    codes = [item.code for item in checklist.items]
    assert codes[:3] == ["MY-A-01", "GG-02", "GG-03"] and codes[-1] == "GG-18"
    assert checklist.item("MY-A-01").severity.value == "major"
    assert all(section.include is None for section in checklist.sections)
    again = Checklist.model_validate(checklist.model_dump())  # a resolved checklist needs no module folder
    assert [i.code for i in again.items] == codes


def test_a_module_beside_the_file_is_preferred_to_the_builtin_one(tmp_path: Path) -> None:
    (tmp_path / "public-common.yaml").write_text(
        'module: public-common\nversion: "9"\ntitle: 本地版\nitems:\n  - code: LOCAL-01\n    title: t\n    text: x\n',
        encoding="utf-8",
    )
    path = tmp_path / "mine.yaml"
    path.write_text(VALID, encoding="utf-8")
    checklist, errors = load_checklist(path)
    assert errors == [] and checklist is not None
    assert [i.code for i in checklist.items] == ["MY-A-01", "LOCAL-01"]


def test_a_module_file_name_must_match_its_module_id(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(
        'module: other\nversion: "1"\ntitle: t\nitems:\n  - code: X-1\n    title: t\n    text: x\n', "utf-8"
    )
    module, errors = load_module(path)
    assert module is None
    assert [str(e) for e in errors] == [f"{path}:1: 模块文件名是 shared.yaml，但 module: 写的是 'other'；两者必须一致"]


def test_a_module_given_as_a_checklist_says_so(tmp_path: Path) -> None:
    module_path = BUILTIN_DIR / "modules" / "public-common.yaml"
    checklist, errors = load_checklist(module_path, lang="en")
    assert checklist is None
    assert len(errors) == 1 and "module file" in errors[0].message and errors[0].line > 1
    module, module_errors = load_module(module_path)
    assert isinstance(module, Module) and module_errors == []


def test_reusing_an_id_and_version_across_files_is_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(VALID, encoding="utf-8")
    second.write_text(VALID.replace("我的检查表", "另一张表"), encoding="utf-8")
    code, errors, _ = validate([first, second])
    assert code == 1
    assert errors == [
        f"{second}:2: 检查表 my-list@1 的 id 和版本已在 {first} 中使用；内容不同的检查表必须换一个 version"
    ]
    code_same, errors_same, _ = validate([first, first])  # the same file twice is not a clash
    assert (code_same, errors_same) == (0, [])


def test_reusing_a_builtin_id_and_version_with_new_content_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "residential.yaml"
    shutil.copy(BUILTIN_DIR / "residential.yaml", copy)
    assert validate([copy])[0] == 0  # an unchanged copy is the same checklist
    text = copy.read_text(encoding="utf-8").replace("title: 楼道整洁、无堵塞", "title: 楼道")
    copy.write_text(text, encoding="utf-8")
    version_line = text.splitlines().index('version: "2026.1"') + 1
    code, errors, _ = validate([copy], lang="en")
    assert code == 1
    assert len(errors) == 1
    assert errors[0].startswith(f"{copy}:{version_line}: checklist residential@2026.1 has the id and version")


def test_error_str_is_file_line_message() -> None:
    assert str(ChecklistError("x.yaml", 7, "坏了")) == "x.yaml:7: 坏了"


def test_load_files_reads_a_shared_module_once_and_reports_its_errors_once(tmp_path: Path) -> None:
    shutil.copy(BROKEN / "local_module" / "local-items.yaml", tmp_path / "local-items.yaml")
    for name in ("one.yaml", "two.yaml"):
        text = (BROKEN / "local_module" / "checklist.yaml").read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("id: local", f"id: {name[:3]}"), encoding="utf-8")
    results = load_files([tmp_path / "one.yaml", tmp_path / "two.yaml"])
    module_errors = [e for r in results for e in r.errors if e.path.endswith("local-items.yaml")]
    assert len(module_errors) == 1
    code, errors, _ = validate([tmp_path / "one.yaml", tmp_path / "two.yaml"])
    assert code == 1 and sum("local-items.yaml:13:" in e for e in errors) == 1


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,  # crashes libyaml's composer if it ever reaches it
        "- " * 50_000 + "x",
        "a: &a [x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "sections: *i\n",
        "version: !!timestamp 2001-99-99\n",
        "id: a\x00b\n",
        "\ufeffid: x\n",
    ],
    ids=["deep-flow", "deep-block", "alias-bomb", "bad-timestamp", "nul", "bom"],
)
def test_hostile_input_is_reported_not_raised(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_file(path)
    assert result.document is None and result.errors
    assert all(e.path == str(path) and e.line >= 1 for e in result.errors)
    assert not any("程序出错" in e.message for e in result.errors)  # handled, not caught by the last safety net


TOKENS = [
    "- ",
    ": ",
    "[",
    "]",
    "{",
    "}",
    "&a ",
    "*a",
    "\n",
    "  ",
    "\t",
    "'",
    '"',
    "!!",
    "code",
    "items",
    "sections",
    "include: ",
    "public-common",
    "---\n",
    "?",
    "|",
    ">",
    "#",
    "~",
    "<<: *a",
    "!!set",
    "2026-13-45",
    "楼道",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.lists(st.sampled_from(TOKENS), max_size=60).map(lambda parts: "".join(parts).encode()),
        st.tuples(st.integers(0, 4000), st.binary(min_size=1, max_size=20)).map(
            lambda cut: (BUILTIN_DIR / "residential.yaml").read_bytes()[: cut[0]] + cut[1]
        ),
    )
)
def test_random_garbage_never_raises(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_bytes(data)
    result = load_file(path, lang="en")
    assert result.errors or result.document is not None
    assert not any("checker failed" in e.message for e in result.errors)
    code = validate_main([str(path)], io.StringIO(), io.StringIO())
    assert code in (0, 1)


CHECKLIST_CATALOGUES = [
    checklists.messages.MESSAGES,
    checklists.messages.VALUE_KINDS,
    checklists.messages.YAML_PROBLEMS,
    checklists.validate.MESSAGES,
]


@pytest.mark.parametrize("catalogue", CHECKLIST_CATALOGUES, ids=lambda c: c.name)
def test_each_checklist_message_has_both_languages_with_the_same_placeholders(catalogue: Catalogue) -> None:
    for key in catalogue:
        texts = catalogue.texts(key)
        assert all(t.strip() for t in texts), key
        assert len({frozenset(placeholders(t)) for t in texts}) == 1, key


@pytest.mark.parametrize("catalogue", CHECKLIST_CATALOGUES, ids=lambda c: c.name)
def test_each_checklist_message_is_asked_for(catalogue: Catalogue) -> None:
    """A key nothing asks for is a translation nobody maintains: besides its definition, its name must appear in
    the checklists code (each catalogue that defines a key accounts for one mention)."""
    root = Path(checklists.messages.__file__).parent
    sources = "\n".join(p.read_text(encoding="utf-8") for p in root.glob("*.py"))
    defined = {key: sum(key in c for c in CHECKLIST_CATALOGUES) for key in catalogue}
    assert [k for k, n in defined.items() if sources.count(f'"{k}"') <= n] == []
