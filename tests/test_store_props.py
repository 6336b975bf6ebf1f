"""Property tests: whatever an Inspection or a Problem holds comes back equal after a save and a reopen."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core.records import (
    DeadlineKind,
    DeadlineRule,
    EventKind,
    Inspection,
    InspectionStatus,
    ItemResult,
    Problem,
    ProblemEvent,
    Severity,
    SyncMeta,
    SyncState,
    Verdict,
)
from inspector.core.store import Store

CHINESE = "楼道堆放纸箱旧家具影响通行垃圾桶满溢消防通道被占用、，。；：“”（）《》"
text = st.one_of(
    st.text(max_size=30),  # any Unicode scalar value, control characters included
    st.text(alphabet=CHINESE + 'ab \n\t"\\', max_size=30),
)
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5, minutes=-30))])
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones)
hashes = st.binary(max_size=16).map(lambda b: hashlib.sha256(b).hexdigest())
codes = st.from_regex(r"[A-Z]{1,3}(-[0-9A-Z]{1,3}){1,2}", fullmatch=True)

sync_metas = st.builds(
    SyncMeta,
    state=st.sampled_from(SyncState),
    rev=label,
    base_rev=st.none() | label,
    server_version=st.none() | st.integers(min_value=0, max_value=2**53),
    message=st.none() | text,
)


@st.composite
def item_results(draw: st.DrawFn, code: str) -> ItemResult:
    return ItemResult(
        code=code,
        verdict=draw(st.none() | st.sampled_from(Verdict)),
        severity=draw(st.none() | st.sampled_from(Severity)),
        quick_picks=draw(st.lists(text, max_size=3)),
        note=draw(text),
        photos=draw(st.lists(hashes, max_size=3)),
        exemption=draw(st.none() | text),
        answered_at=draw(st.none() | moments),
    )


@st.composite
def inspections(draw: st.DrawFn) -> Inspection:
    item_codes = draw(st.lists(codes, max_size=12, unique=True))
    return Inspection(
        id=draw(st.one_of(st.uuids().map(str), text.filter(bool))),
        site_id=draw(text),
        checklist_id=draw(label),
        checklist_version=draw(text),
        inspector=draw(text),
        device_id=draw(text),
        started_at=draw(moments),
        finished_at=draw(st.none() | moments),
        results={code: draw(item_results(code)) for code in item_codes},
        current_code=draw(st.none() | st.sampled_from(item_codes or ["X-1"])),
        supersedes=draw(st.none() | label),
        batch=draw(text),
        sync=draw(sync_metas),
    )


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    problem_id = draw(st.uuids().map(str))
    events = [
        ProblemEvent(
            id=draw(st.uuids().map(str)),
            problem_id=problem_id,
            kind=draw(st.sampled_from(EventKind)),
            actor=draw(text),
            device_id=draw(text),
            device_time=draw(moments),
            server_order=draw(st.none() | st.integers(min_value=0, max_value=2**31)),
            note=draw(text),
            photos=draw(st.lists(hashes, max_size=2)),
            responsible_unit=draw(st.none() | text),
            deadline=draw(st.none() | st.builds(DeadlineRule, kind=st.sampled_from(DeadlineKind))),
            conflict=draw(st.none() | text),
            sync=draw(sync_metas),
        )
        for _ in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    return Problem(
        id=problem_id,
        inspection_id=draw(label),
        site_id=draw(text),
        item_code=draw(codes),
        item_text=draw(text),
        description=draw(text.filter(lambda s: bool(s.strip()))),
        severity=draw(st.sampled_from(Severity)),
        photos=draw(st.lists(hashes, max_size=3)),
        responsible_unit=draw(text),
        deadline=draw(st.builds(DeadlineRule, kind=st.sampled_from(DeadlineKind), n=st.integers(0, 365))),
        found_at=draw(moments),
        found_by=draw(text),
        cg_code=draw(st.none() | st.from_regex(r"\d{2,8}", fullmatch=True)),
        events=events,
        sync=draw(sync_metas),
    )


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(inspection=inspections(), submit=st.booleans())
def test_an_inspection_round_trips_through_the_store(inspection: Inspection, submit: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        with Store.open(data_dir) as store:
            if submit:
                store.submit(inspection, [])
            else:
                store.save_inspection(inspection)
            assert store.inspection(inspection.id) == inspection
        with Store.open(data_dir) as store:
            assert store.recovery_notes == []
            assert store.inspection(inspection.id) == inspection
            assert store.inspections() == [inspection]
            assert (store.inspection(inspection.id).status is InspectionStatus.SUBMITTED) is submit


@SETTINGS
@given(problem=problems(), mark_dirty=st.booleans())
def test_a_problem_round_trips_through_the_store(problem: Problem, mark_dirty: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        before = problem.sync.model_copy()
        with Store.open(data_dir) as store:
            store.save_problem(problem, mark_dirty=mark_dirty)
        assert (problem.sync == before) is not mark_dirty
        with Store.open(data_dir) as store:
            assert store.recovery_notes == []
            assert store.problem(problem.id) == problem
            assert store.problems() == [problem]
