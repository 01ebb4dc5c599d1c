"""The soak's report must say whose fault a failure is: the product's or the harness's."""

from __future__ import annotations

from tests.support.chaos.report import ChaosReport, ProductFailure, failure_kind


def busy(**fields: object) -> ChaosReport:
    return ChaosReport(seed=1, created=10, marks=3, **fields)


def test_a_clean_run_is_ok():
    assert busy().verdict() == "ok"
    assert busy().line().endswith("ok")


def test_broken_promises_are_the_products():
    report = busy(lost=["a"], task_failures=["retired: tiri-outbox-flush: ProgrammingError()"])
    assert report.verdict() == "FAIL (product)"
    assert "FAIL (product): lost 1, crashed tasks 1" in report.line()


def test_the_harness_failing_in_its_own_code_is_the_harnesses():
    report = busy(harness_errors=["watching sessions: KeyError('x')"])
    assert report.verdict() == "FAIL (harness)"
    both = busy(harness_errors=["watching sessions: KeyError('x')"], leaked_tasks=1)
    assert both.verdict() == "FAIL (product and harness)"


def test_a_stopped_run_says_whose_stop_it_was():
    never = ProductFailure("chaos: timed out waiting for outbox to drain")
    stopped = busy(crashed=repr(never), crash_kind=failure_kind(never))
    assert stopped.verdict() == "FAIL (product)"
    assert stopped.problems()[0].startswith("crashed (product): ProductFailure(")
    bug = AttributeError("'Chaos' object has no attribute 'x'")
    assert busy(crashed=repr(bug), crash_kind=failure_kind(bug)).verdict() == "FAIL (harness)"
    # A product failure the session watcher met is the product's, not a harness crash.
    assert busy(product_failures=["watching sessions: ProductFailure()"]).verdict() == (
        "FAIL (product)"
    )
