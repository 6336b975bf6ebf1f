"""Records lost with their files, derived again from what else the store holds.

A problem born of a submission is a function of that inspection (`submission.problems_for_submission`, whose ids
are uuid5 of the inspection id and the item code), so a problem file lost before sync (damaged, no usable backup)
is rebuilt by running that same derivation again and keeping the problem with the lost id (a submit cut short can
leave problem files beside a draft: those come back the same way). Only an inspection HQ has not accepted is
searched: once HQ holds the inspection it holds its problems too, and the store fetches those
again from HQ instead, so the ledger HQ keeps (events, assignments) is not overwritten by a fresh 登记.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from checklists.schema import Checklist
from inspector.core.records import Inspection, Problem, Site, Verdict
from inspector.core.submission import problem_id_for, problems_for_submission


def problem_from_submission(
    problem_id: str,
    candidates: Iterable[Inspection],
    checklist_for: Callable[[Inspection], Checklist | None],
    site_for: Callable[[Inspection], Site | None],
) -> tuple[Inspection, Problem] | None:
    """The inspection that gave birth to `problem_id` and the problem derived from it again, or None.

    The derivation is run on the inspection as the walk submitted it (`submitted_at` not yet set, so found times
    come out the same) and against no earlier problems: a failure then always makes a new problem, never a 反弹,
    which is what a problem with this id was. Its sync state is new: HQ has never seen it."""
    for inspection in candidates:
        codes = [code for code, result in inspection.results.items() if result.verdict is Verdict.FAIL]
        if all(problem_id_for(inspection.id, code) != problem_id for code in codes):
            continue
        as_submitted = inspection.model_copy(update={"submitted_at": None})
        problems, _ = problems_for_submission(
            as_submitted,
            checklist_for(inspection),
            site_for(inspection),
            [],
            inspection.inspector,
            inspection.device_id,
        )
        for problem in problems:
            if problem.id == problem_id:
                return inspection, problem
    return None
