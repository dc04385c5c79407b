"""The sign-in back-off of ``apps/ui/signin.py`` without a server: failures per user name and per
address, the waits they cause, what a success forgets, and that wrong guesses stop being checked.
(The same pages behind a real ``panel serve`` are in ``tests/test_auth_browser.py``.)"""

from __future__ import annotations

import pytest
from test_apps_state import load_app


@pytest.fixture(scope="module")
def signin():
    load_app("main")  # puts apps/ on sys.path, as the served apps do
    from ui import signin

    return signin


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_doubles_after_the_free_failures_up_to_the_cap(signin):
    rule = signin.Backoff(free=3, base=1.0, cap=30.0, forget=600.0)
    assert [rule.delay(n) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert rule.delay(9) == 30 and rule.delay(10_000) == 30


def test_wrong_passwords_for_one_name_make_it_wait_and_a_success_forgets_them(signin):
    clock = Clock()
    t = signin.SignInThrottle(per_user=signin.Backoff(5, 1.0, 300.0, 900.0),
                              per_address=signin.Backoff(20, 1.0, 300.0, 900.0), clock=clock)
    for _ in range(5):
        assert t.wait("vic", "10.0.0.1") == 0
        t.failed("vic", "10.0.0.1")
    assert t.wait("vic", "10.0.0.1") == pytest.approx(1.0)
    assert t.wait("VIC ", "10.0.0.9") == pytest.approx(1.0)  # the name, whatever the address or spelling
    assert t.wait("ada", "10.0.0.1") == 0  # another name from the same address is not slowed yet
    clock.now += 1.0
    assert t.wait("vic", "10.0.0.1") == 0
    t.failed("vic", "10.0.0.1")
    assert t.wait("vic", "10.0.0.1") == pytest.approx(2.0)
    clock.now += 2.0
    t.succeeded("vic", "10.0.0.1")
    assert t.wait("vic", "10.0.0.1") == 0


def test_guessing_many_names_from_one_address_is_slowed_too(signin):
    clock = Clock()
    t = signin.SignInThrottle(per_user=signin.Backoff(5, 1.0, 300.0, 900.0),
                              per_address=signin.Backoff(20, 1.0, 300.0, 900.0), clock=clock)
    for i in range(20):
        assert t.wait(f"user{i}", "10.0.0.1") == 0
        t.failed(f"user{i}", "10.0.0.1")
    assert t.wait("someone-else", "10.0.0.1") == pytest.approx(1.0)
    assert t.wait("someone-else", "10.0.0.2") == 0
    t.succeeded("user0", "10.0.0.1")  # a valid account does not unlock the address
    assert t.wait("someone-else", "10.0.0.1") > 0
    clock.now += 901.0  # old failures are forgotten
    assert t.wait("someone-else", "10.0.0.1") == 0


def test_an_attack_of_200_wrong_passwords_gets_only_a_few_checked(signin):
    """What the 200 wrong passwords in 0.39 s of the issue now meet: the name's first five are
    checked, and then one per wait (1, 2, 4… seconds, then every 5 minutes)."""
    clock = Clock()
    t = signin.SignInThrottle(clock=clock)
    checked = 0
    for _ in range(200):  # as fast as the attacker can send them (the clock barely moves)
        clock.now += 0.002
        if t.wait("admin", "203.0.113.7") > 0:
            continue
        checked += 1
        t.failed("admin", "203.0.113.7")
    assert checked == 5
    # an hour of patient guessing: the waits double up to 5 minutes
    for _ in range(3600):
        clock.now += 1.0
        if t.wait("admin", "203.0.113.7") == 0:
            checked += 1
            t.failed("admin", "203.0.113.7")
    assert checked < 30


def test_the_records_stay_bounded_however_many_names_are_tried(signin):
    clock = Clock()
    t = signin.SignInThrottle(clock=clock, max_keys=100)
    for i in range(1000):
        t.failed(f"name{i}", f"10.0.{i // 250}.{i % 250}")
        clock.now += 0.01
    assert len(t._records) <= 100
