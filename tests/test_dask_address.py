"""``--executor`` URLs (runner/executors/dask_address.py, docs/cluster.md): what each means,
and what a bad one says (never a password)."""

from __future__ import annotations

import pytest

from orchdsl.runner.executors.dask_address import DaskAddress, parse_executor, shown

EXPECTED = "expected local, dask://HOST:PORT or tls://HOST:PORT"

GOOD = [
    # as given, where distributed connects, as shown in messages
    ("local", None, None),
    (" local ", None, None),
    ("dask://scheduler:8786", "tcp://scheduler:8786", "dask://scheduler:8786"),
    ("dask://scheduler", "tcp://scheduler:8786", "dask://scheduler:8786"),
    ("dask://scheduler/", "tcp://scheduler:8786", "dask://scheduler:8786"),
    ("tcp://10.0.0.7:9000", "tcp://10.0.0.7:9000", "tcp://10.0.0.7:9000"),
    ("tls://scheduler.internal:8786", "tls://scheduler.internal:8786",
     "tls://scheduler.internal:8786"),
    ("dask://[::1]:8786", "tcp://[::1]:8786", "dask://[::1]:8786"),
]


@pytest.mark.parametrize("text, connect_to, written", GOOD)
def test_an_executor_url_names_a_scheduler_or_this_machine(text, connect_to, written):
    address = parse_executor(text)
    if connect_to is None:
        assert address is None
    else:
        assert isinstance(address, DaskAddress)
        assert (address.connect_to, str(address)) == (connect_to, written)


BAD = [
    ("", f": {EXPECTED}"),
    ("locale", f"locale: {EXPECTED}"),
    ("http://scheduler:8786", f"http://scheduler:8786: {EXPECTED}"),
    ("dask://", f"dask://: {EXPECTED}"),
    ("dask://scheduler:port", f"dask://scheduler:port: {EXPECTED}"),
    ("dask://scheduler:8786?x=1", f"dask://scheduler:8786?x=1: {EXPECTED} (nothing after the port)"),
    ("dask://admin:s3cret@scheduler:8786", "dask://***@scheduler:8786: a Dask scheduler takes "
     "no user or password in its URL (secure it with TLS: docs/cluster.md)"),
    ("tls://token@scheduler", "tls://***@scheduler: a Dask scheduler takes no user or password "
     "in its URL (secure it with TLS: docs/cluster.md)"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_a_bad_executor_url_says_what_is_expected_without_its_password(text, message):
    with pytest.raises(ValueError) as raised:
        parse_executor(text)
    assert str(raised.value) == message
    assert "s3cret" not in str(raised.value)


@pytest.mark.parametrize("text, hidden", [
    ("dask://a:b@host:1", "dask://***@host:1"),
    ("dask://host:1", "dask://host:1"),
    ("no scheme", "no scheme"),
    ("tls://u:p@w@host/x@y", "tls://***@host/x@y"),
])
def test_shown_urls_hide_their_credentials(text, hidden):
    assert shown(text) == hidden
