"""The soak's post-mortem must itself work: its failure path is the one that matters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.support.chaos.report import post_mortem, sync_moment

BORN = datetime(2026, 11, 27, 9, 41, 44, 667766, tzinfo=UTC)


def sync_line(moment: datetime, why: str) -> str:
    # The product's own format: log.debug("in sync up to %s (%s)", moment, why).
    return "in sync up to %s (%s)" % (moment, why)  # noqa: UP031


def test_sync_moment_reads_the_products_line():
    assert sync_moment(sync_line(BORN, "gap fill")) == BORN
    assert sync_moment(sync_line(BORN, "live")) == BORN
    assert sync_moment("gap closed by a fill (connection #3)") is None


def test_post_mortem_stops_at_the_move_that_passed_the_lost_one():
    log = [
        (9.0, sync_line(BORN - timedelta(seconds=5), "live")),  # long before: skipped
        (9.9, "gap open: reconnecting"),
        (10.1, sync_line(BORN - timedelta(seconds=1), "gap fill")),
        (10.2, sync_line(BORN + timedelta(seconds=1), "live")),
        (10.3, "never reached"),
    ]
    lines = post_mortem(BORN.isoformat().replace("+00:00", "Z"), 10.0, log)
    assert lines[0] == "-0.100 gap open: reconnecting"
    assert lines[-2].endswith("(live)") and "+0.200" in lines[-2]
    assert lines[-1].strip() == "^ this move passed it"
    assert not any("never reached" in line for line in lines)


def test_post_mortem_of_an_unknown_creation_time_prints_the_whole_trace():
    log = [(10.0, sync_line(BORN, "live")), (10.5, "gap open: error")]
    assert len(post_mortem("?", 10.0, log)) == 2
