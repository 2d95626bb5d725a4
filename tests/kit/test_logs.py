"""Logs never carry a national ID number, a phone number or a token."""
import json
import logging

import pytest

from shared.logs import JsonFormatter, redact


@pytest.mark.parametrize("text, secret", [
    ("person 11010519491231002X registered", "11010519491231002X"),
    ("id=110105194912310021,", "110105194912310021"),
    ("call 13812345678 now", "13812345678"),
    ("call +86 13812345678", "13812345678"),
    ("Authorization: Bearer abc.def-ghi_jkl", "abc.def-ghi_jkl"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig_nature", "eyJhbGciOiJIUzI1NiJ9"),
])
def test_redaction(text, secret):
    assert secret not in redact(text)


def test_an_order_number_that_is_not_an_id_survives():
    assert redact("batch 2026 of 330000 units") == "batch 2026 of 330000 units"


def test_formatter_redacts_arguments_and_exceptions():
    formatter = JsonFormatter("members")
    try:
        raise ValueError("bad id 11010519491231002X")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "phone %s", ("13812345678",), sys.exc_info())
    line = formatter.format(record)
    assert "13812345678" not in line and "11010519491231002X" not in line
    assert json.loads(line)["service"] == "members"
