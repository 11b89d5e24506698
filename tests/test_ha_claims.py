"""Fire claims in the store (orchdsl.store.claims; docs/high-availability.md), on a real SQLite
file and a real PostgreSQL server alike: what each claim becomes, leases that run out, a dead
scheduler's waiting fire taken over once, and many processes racing for one fire.

Other schedulers are other ``Owner`` values. A scheduler on another host is an owner whose
runner names another host (this one cannot see its processes: only its lease tells); one
on this host that died is an owner whose pid is a reaped process's.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from orchdsl.store import open_store
from orchdsl.store.base import Runner
from orchdsl.store.claims import LEASE_S, Owner, Verdict
from orchdsl.store.recovery import this_runner
from pg_server import pg_server, pg_url, store_at  # noqa: F401 (fixtures)

UTC = timezone.utc
T = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)
FILE = "/srv/pipelines/nightly.orch"


def at(seconds: int) -> datetime:
    return T + timedelta(seconds=seconds)


def elsewhere(name: str) -> Owner:
    """A scheduler on another host."""
    return Owner(f"token-{name}", Runner(f"host-{name}", 4242, "1", "boot", "ns"))


def dead_here() -> Owner:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    here = this_runner()
    return Owner("token-dead", Runner(here.host, process.pid, "1", here.boot_id,
                                      here.pid_namespace))


def expire(store, owner: Owner) -> None:
    """Its lease ran out: as if it had not renewed for LEASE_S."""
    with store.transaction() as db:
        db.execute("UPDATE fire_claims SET lease_until = lease_until - ? WHERE owner = ?",
                   (LEASE_S + 1, owner.token))


@pytest.fixture
def store(store_at):
    opened = open_store(store_at)
    yield opened
    opened.close()


def claim(store, owner, seconds, skip=False, schedule="0 6 * * *", file=FILE):
    return store.claim_fire(owner, file, schedule, at(seconds), skip=skip)


def test_a_fire_is_claimed_once_whoever_asks_and_becomes_the_schedules_last_fire(store):
    a, b = elsewhere("a"), elsewhere("b")
    first = claim(store, a, 0)
    assert first.verdict is Verdict.START and first.claim_id is not None
    assert claim(store, b, 0).verdict is Verdict.TAKEN
    assert claim(store, a, 0).verdict is Verdict.TAKEN  # the same scheduler again, too
    assert store.last_fire(FILE, "0 6 * * *") == at(0)
    # another schedule of the file, or another file, is another fire
    assert claim(store, b, 0, file="/srv/other.orch").verdict is Verdict.START


@pytest.mark.parametrize("skip, verdicts", [
    (False, [Verdict.START, Verdict.QUEUE, Verdict.SKIP, Verdict.SKIP]),
    (True, [Verdict.START, Verdict.SKIP, Verdict.SKIP, Verdict.SKIP]),
], ids=["overlap queue", "overlap skip"])
def test_overlap_is_decided_across_schedulers_by_the_files_live_claims(store, skip, verdicts):
    owners = [elsewhere(n) for n in "abcd"]  # each fire claimed by another scheduler
    got = [claim(store, owner, i, skip=skip) for i, owner in enumerate(owners)]
    assert [c.verdict for c in got] == verdicts
    store.claim_started(owners[0], got[0].claim_id, 17)
    late = claim(store, owners[1], 10, skip=skip)
    assert late.running_job == 17 and late.running_fire == at(0)
    if not skip:
        assert late.waiting_fire == at(1)  # what the reason of a skipped fire names


def test_a_waiting_fire_starts_once_the_files_job_ended_in_another_scheduler(store):
    a, b = elsewhere("a"), elsewhere("b")
    running, waiting = claim(store, a, 0), claim(store, b, 1)
    assert store.promote_claim(b, waiting.claim_id, FILE) is False  # a's job runs
    store.end_claim(a, running.claim_id, "done", 5)
    assert claim(store, a, 2).verdict is Verdict.SKIP  # b's fire waits: one at most
    assert store.promote_claim(b, waiting.claim_id, FILE) is True
    assert claim(store, a, 3).verdict is Verdict.QUEUE  # b's job runs now
    assert store.promote_claim(a, waiting.claim_id, FILE) is None  # not a's to start


@pytest.mark.parametrize("dead", [lambda: elsewhere("gone"), dead_here],
                         ids=["another host: its lease ran out", "this host: its pid is gone"])
def test_a_dead_schedulers_running_claim_stops_holding_its_file(store, dead):
    owner, b = dead(), elsewhere("b")
    assert claim(store, owner, 0).verdict is Verdict.START
    if owner.runner.host == this_runner().host:
        assert claim(store, b, 1).verdict is Verdict.START  # seen dead at once
        return
    waiting = claim(store, b, 1)
    assert waiting.verdict is Verdict.QUEUE  # alive as long as its lease runs
    assert store.promote_claim(b, waiting.claim_id, FILE) is False
    expire(store, owner)
    assert store.promote_claim(b, waiting.claim_id, FILE) is True


def test_a_dead_schedulers_waiting_fire_is_taken_over_by_one_scheduler_only(store):
    a, gone, b, c = elsewhere("a"), elsewhere("gone"), elsewhere("b"), elsewhere("c")
    claim(store, a, 0)
    waiting = claim(store, gone, 1)
    schedules = {(FILE, "0 6 * * *")}
    assert store.take_over_claims(b, schedules) == []  # its lease still runs
    expire(store, gone)
    taken = store.take_over_claims(b, schedules)
    assert [(o.claim_id, o.fire_time, o.stale) for o in taken] == [(waiting.claim_id, at(1),
                                                                    False)]
    assert store.take_over_claims(c, schedules) == []  # b holds it now, renewed
    assert store.renew_claims(gone) == set()  # the dead one, back, owns nothing any more
    assert waiting.claim_id in store.renew_claims(b)
    assert store.take_over_claims(c, {("/srv/other.orch", "0 6 * * *")}) == []


def test_a_scheduler_that_stops_lets_go_of_its_claims(store):
    a, b = elsewhere("a"), elsewhere("b")
    claim(store, a, 0)
    store.release_claims(a)
    assert claim(store, b, 1).verdict is Verdict.START


RACE = """
import sys
from datetime import datetime, timezone
from orchdsl.store import open_store
from orchdsl.store.claims import Owner
store = open_store(sys.argv[1])
sys.stdin.readline()  # all start at once
for second in range(20):
    c = store.claim_fire(Owner.here(), "/srv/race.orch", "* * * * * *",
                         datetime(2027, 1, 1, 0, 0, second, tzinfo=timezone.utc), skip=False)
    print(second, c.verdict.value, flush=True)
"""


def test_processes_racing_for_the_same_fires_each_get_a_fire_once(store_at):
    open_store(store_at).close()  # the schema, made once before the race
    racers = [subprocess.Popen([sys.executable, "-c", RACE, store_at], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(6)]
    for racer in racers:
        racer.stdin.write("go\n")
        racer.stdin.flush()
    outcomes = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        assert "locked" not in err
        outcomes += [line.split() for line in out.splitlines()]
    assert len(outcomes) == 6 * 20
    won = [second for second, verdict in outcomes if verdict != "taken"]
    assert sorted(won, key=int) == [str(s) for s in range(20)]  # each fire: one owner
