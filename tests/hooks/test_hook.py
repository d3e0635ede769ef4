"""FlatHook against the emulator over real HTTP: connection parsing, delegation, test_connection."""

from __future__ import annotations

import json
import logging
import socket

import pytest

from flat_provider.client import FlatAuthenticationError
from flat_provider.hooks.flat import FlatHook, base_url_of


def _conn_env(monkeypatch: pytest.MonkeyPatch, conn_id: str, **conn: object) -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "flat", **conn}))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_hook_from_env_json_reads_the_org(flat_emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FLAT_DEFAULT", flat_emulator.conn_json())
    hook = FlatHook()
    expected = flat_emulator.backend.count_users()
    assert hook.count_orga_users() == expected
    assert sum(1 for _ in hook.iter_organization_users(limit=7)) == expected
    assert hook.get_conn() is hook.client


def test_hook_delegates_with_the_clients_signature():
    import inspect

    from flat_provider.client import FlatClient

    for name in ("create_organization_user", "remove_organization_user", "iter_organization_users"):
        hook_sig = inspect.signature(getattr(FlatHook, name))
        client_sig = inspect.signature(getattr(FlatClient, name))
        assert list(hook_sig.parameters)[1:] == list(client_sig.parameters)[1:]
        assert getattr(FlatHook, name).__doc__ == getattr(FlatClient, name).__doc__


def test_extras_configure_the_client(flat_emulator, monkeypatch):
    _conn_env(
        monkeypatch,
        "flat_tuned",
        host=flat_emulator.base_url,
        password=flat_emulator.token,
        extra={"read_timeout": "7.5", "max_retries": 2, "extra__flat__page_size": "50", "pacing": "false"},
    )
    hook = FlatHook("flat_tuned", client_options={"max_retries": 3})
    assert hook.client_settings == {"read_timeout": 7.5, "max_retries": 3, "page_size": 50, "pacing": False}
    assert hook.client.page_size == 50
    assert hook.count_orga_users() == flat_emulator.backend.count_users()


def test_bad_extra_says_which_field_to_fix(flat_emulator, monkeypatch):
    _conn_env(
        monkeypatch,
        "flat_bad_extra",
        host=flat_emulator.base_url,
        password="t",
        extra={"max_retries": "many"},
    )
    with pytest.raises(ValueError, match=r"extra 'max_retries' must be a integer, got 'many'"):
        _ = FlatHook("flat_bad_extra").client


def test_missing_token_is_a_clear_error(monkeypatch):
    _conn_env(monkeypatch, "flat_no_token", host="https://api.flat.io/v2")
    ok, message = FlatHook("flat_no_token").test_connection()
    assert not ok
    assert "no API token" in message


def test_test_connection_good(flat_emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_FLAT_DEFAULT", flat_emulator.conn_json())
    ok, message = FlatHook().test_connection()
    assert ok, message
    assert f"has {flat_emulator.backend.count_users()} users" in message


def test_test_connection_bad_token_never_echoes_it(flat_emulator, monkeypatch, caplog):
    secret = "not-a-valid-token-4f9a1c"
    _conn_env(monkeypatch, "flat_wrong", host=flat_emulator.base_url, password=secret)
    caplog.set_level(logging.DEBUG)
    ok, message = FlatHook("flat_wrong").test_connection()
    assert not ok
    assert "401" in message
    with pytest.raises(FlatAuthenticationError) as err:
        FlatHook("flat_wrong").count_orga_users()
    assert secret not in message
    assert secret not in str(err.value)
    assert secret not in caplog.text


def test_test_connection_missing_scope(monkeypatch):
    from flat_provider.emulator import run_emulator

    with run_emulator(tokens={"lti-only": ["edu.admin.lti"]}) as emu:
        _conn_env(monkeypatch, "flat_lti_only", host=emu.base_url, password="lti-only")
        ok, message = FlatHook("flat_lti_only").test_connection()
    assert not ok
    assert "edu.admin.users" in message


def test_test_connection_unreachable_host(monkeypatch):
    _conn_env(
        monkeypatch,
        "flat_down",
        host=f"http://127.0.0.1:{_closed_port()}/v2",
        password="whatever",
        extra={"max_retries": 0, "connect_timeout": 2},
    )
    ok, message = FlatHook("flat_down").test_connection()
    assert not ok
    assert message.startswith("Cannot reach Flat at http://127.0.0.1:")


@pytest.mark.parametrize(
    ("host", "port", "schema", "expected"),
    [
        (None, None, None, "https://api.flat.io/v2"),
        ("", None, None, "https://api.flat.io/v2"),
        ("https://api.flat.io/v2/", None, None, "https://api.flat.io/v2"),
        ("api.flat.io", None, None, "https://api.flat.io/v2"),
        ("api.flat.io", None, "v2", "https://api.flat.io/v2"),
        ("flat.example.edu", 8443, "v2", "https://flat.example.edu:8443/v2"),
        ("http://127.0.0.1:5000/v2", None, None, "http://127.0.0.1:5000/v2"),
    ],
)
def test_base_url_of(host, port, schema, expected):
    assert base_url_of(host, port, schema) == expected
