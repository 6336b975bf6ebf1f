"""得分率: 符合 divided by the items answered, 不适用 excluded; unanswered items are reported, never guessed."""

from __future__ import annotations

from dataclasses import dataclass

from checklists.schema import Checklist
from inspector.core.records import Inspection, Verdict


def score_rate(passed: int, failed: int) -> float | None:
    """符合 / (符合 + 不符合); None when nothing counts yet (no division by zero, no fake 100%)."""
    counted = passed + failed
    return passed / counted if counted else None


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


@dataclass(frozen=True, slots=True)
class Score:
    passed: int
    failed: int
    not_applicable: int
    unanswered: tuple[str, ...]  # item codes, in walk order

    @property
    def answered(self) -> int:
        return self.passed + self.failed + self.not_applicable

    @property
    def rate(self) -> float | None:
        return score_rate(self.passed, self.failed)

    def rate_text(self) -> str:
        return rate_text(self.rate)


def score(inspection: Inspection, checklist: Checklist) -> Score:
    counts = {Verdict.PASS: 0, Verdict.FAIL: 0, Verdict.NA: 0}
    unanswered: list[str] = []
    for item in checklist.items:
        result = inspection.results.get(item.code)
        if result is None or result.verdict is None:
            unanswered.append(item.code)
        else:
            counts[result.verdict] += 1
    return Score(counts[Verdict.PASS], counts[Verdict.FAIL], counts[Verdict.NA], tuple(unanswered))
