"""Masking secrets in task output and keeping that output bounded (LANGUAGE.md 7:
``***`` stands in for a secret, in task output too): ``orchdsl.masking`` and
``orchdsl.runner.capture``, as units. Output arrives in chunks cut anywhere, so every case
is also fed cut at every point and must come out the same as the whole text masked at once.
"""

from __future__ import annotations

import re

import pytest

from orchdsl.runner.capture import HEAD, TAIL, OutputBuffer
from orchdsl.masking import Masker

URL = "postgres://etl:hunter22@db.internal/warehouse"

MASK_CASES = [
    # secrets, text, masked
    (["hunter22"], "password=hunter22!", "password=***!"),
    (["hunter22"], "hunter22hunter22", "******"),
    (["hunter22"], "no secret here", "no secret here"),
    (["abc", "abcdef"], "abcdef abc", "*** ***"),  # the longer first: masked whole
    (["hunter22", URL], f"connect {URL}", "connect ***"),
    (["a.b*c+d"], "xa.b*c+dx a_b_c_d", "x***x a_b_c_d"),  # regex characters are literal
    (["line one\nline two"], "before line one\nline two after", "before *** after"),
    (["ab"], "ab cab abc ab.", "*** cab abc ***."),  # short values: whole words only
    ([""], "an empty secret masks nothing", "an empty secret masks nothing"),
    ([], "no secrets at all", "no secrets at all"),
    (["pässwörd"], "pässwörd: ü", "***: ü"),
]


@pytest.mark.parametrize("secrets, text, masked", MASK_CASES)
def test_mask_replaces_every_secret_by_stars(secrets, text, masked):
    assert Masker(secrets).mask(text) == masked


@pytest.mark.parametrize("secrets, truthy", [([], False), ([""], False), (["x"], True)])
def test_a_masker_without_secrets_is_false(secrets, truthy):
    assert bool(Masker(secrets)) is truthy


def stream(masker: Masker, chunks) -> str:
    streamer = masker.stream()
    return "".join(streamer.feed(chunk) for chunk in chunks) + streamer.close()


STREAM_CASES = [
    (["hunter22"], "password=hunter22\nand again hunter22 at the end"),
    (["hunter22", "tok-123456"], "tok-123456hunter22 tok-123456\n"),
    (["abc", "abcdef"], "xxabcdefxx abc abcde"),
    (["line one\nline two"], "a line one\nline two b\nline one\nline three"),
    (["hunter22", URL], f"connect {URL} with hunter22\n"),
    (["bcd", "abcdefgh"], "abcdefgh"),
]


@pytest.mark.parametrize("secrets, text", STREAM_CASES)
def test_a_stream_cut_at_any_point_is_masked_as_the_whole_text(secrets, text):
    masker = Masker(secrets)
    whole = masker.mask(text)
    for cut in range(1, len(text)):
        assert stream(masker, [text[:cut], text[cut:]]) == whole, f"cut at {cut}"
    assert stream(masker, list(text)) == whole, "one character at a time"


@pytest.mark.parametrize("cut", range(1, 8))
def test_a_short_secret_never_shows_as_a_word_whatever_the_cut(cut):
    text = "id ab, ab\n"
    out = stream(Masker(["ab"]), [text[:cut], text[cut:]])
    assert not re.search(r"\bab\b", out), out


def test_a_stream_gives_whole_lines_at_once():
    streamer = Masker(["a-long-secret-value"]).stream()
    assert streamer.feed("first line\nsecond") == "first line\n"
    assert streamer.feed(" line\n") == "second line\n"


def test_a_stream_holds_back_no_more_than_a_secret_could_need():
    streamer = Masker(["12345"]).stream()
    # any of the last 4 characters could begin the secret, were it a prefix of it
    assert streamer.feed("abcdefghij") == "abcdef"
    assert streamer.close() == "ghij"


def test_a_stream_without_secrets_passes_chunks_through():
    streamer = Masker([]).stream()
    assert [streamer.feed(c) for c in ("ab", "c\n", "d")] == ["ab", "c\n", "d"]
    assert streamer.close() == ""


# --- OutputBuffer ----------------------------------------------------------------------------

def test_a_buffer_decodes_utf8_cut_between_chunks():
    buffer = OutputBuffer(Masker([]))
    for chunk in (b"caf", b"\xc3", b"\xa9 ", b"\xe2\x82", b"\xac\n"):
        buffer.write_bytes(chunk)
    assert buffer.close() == "café €\n"


def test_a_buffer_replaces_bytes_that_are_not_utf8():
    buffer = OutputBuffer(Masker([]))
    buffer.write_bytes(b"ok \xff\xfe end")
    assert buffer.close() == "ok \ufffd\ufffd end"


def test_a_buffer_ends_with_an_incomplete_character_replaced():
    buffer = OutputBuffer(Masker([]))
    buffer.write_bytes(b"cut \xc3")
    assert buffer.close() == "cut \ufffd"


@pytest.mark.parametrize("size", [0, 1, HEAD, HEAD + TAIL])
def test_a_buffer_keeps_everything_up_to_head_plus_tail(size):
    text = "".join(chr(ord("a") + i % 26) for i in range(size))
    buffer = OutputBuffer(Masker([]))
    for start in range(0, size, 1000):
        buffer.write(text[start:start + 1000])
    assert buffer.close() == text


@pytest.mark.parametrize("chunk", [1, 999, 65536])
def test_a_buffer_keeps_the_head_and_the_tail_of_long_output(chunk):
    text = "H" * HEAD + "m" * 100_001 + "T" * TAIL
    buffer = OutputBuffer(Masker([]))
    for start in range(0, len(text), chunk):
        buffer.write(text[start:start + chunk])
    assert buffer.close() == "H" * HEAD + "\n[... 100001 characters not kept ...]\n" + "T" * TAIL


def test_a_buffer_masks_before_it_cuts():
    secret = "s3cr3t-token"
    buffer = OutputBuffer(Masker([secret]))
    buffer.write("x" * (HEAD - 5) + secret[:4])
    buffer.write(secret[4:] + "\n")
    kept = buffer.close()
    assert secret[:4] not in kept and secret[4:] not in kept
    assert kept == "x" * (HEAD - 5) + "***\n"


def test_a_buffer_passes_masked_whole_lines_on():
    lines: list[str] = []
    buffer = OutputBuffer(Masker(["hunter22"]), lines.append)
    for chunk in (b"one\ntw", b"o hun", b"ter22\n\nthree"):
        buffer.write_bytes(chunk)
        assert all("\n" not in line for line in lines)
    assert lines == ["one", "two ***", ""]  # "three" may still begin a secret
    assert buffer.close() == "one\ntwo ***\n\nthree"
    assert lines == ["one", "two ***", "", "three"]


def test_a_buffer_without_a_line_sink_gives_only_its_text():
    buffer = OutputBuffer(Masker(["hunter22"]))
    buffer.write("hunter22")
    assert buffer.close() == "***"
