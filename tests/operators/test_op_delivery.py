"""Secret destinations and private files, outside a DAG run (the DAG-run tests cover them end to end)."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from flat_provider.operators.delivery import (
    CallableDestination,
    ConnectionDestination,
    FileDestination,
    SecretDeliveryError,
    SecretPayload,
    VariableDestination,
    check_destination,
    deliver_secret,
    to_destination,
)
from flat_provider.operators.files import private_text_file
from flat_provider.operators.lti_family import LtiKeyPair
from flat_provider.operators.rotation import plan_revocations

SECRET = "s3cr3t-consumer-secret-value"


def payload(label: str = "lti-credentials-canvas-district") -> SecretPayload:
    return SecretPayload(
        kind="lti_credentials",
        label=label,
        public={"id": "c1", "consumer_key": "KEY-1"},
        secrets={"consumer_secret": SECRET},
        primary="consumer_secret",
        login="KEY-1",
    )


def test_file_destination_writes_0600_json_into_a_0700_directory(tmp_path: Path) -> None:
    destination = to_destination(f"file:{tmp_path}/lti/")
    check_destination(destination)
    where = deliver_secret(destination, payload())
    path = tmp_path / "lti" / "lti-credentials-canvas-district.json"
    assert where == f"file:{path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {
        "kind": "lti_credentials",
        "id": "c1",
        "consumer_key": "KEY-1",
        "consumer_secret": SECRET,
    }


def test_file_destination_replaces_the_old_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "current.json"
    target.write_text("old")
    target.chmod(0o644)
    deliver_secret(FileDestination(target), payload())
    assert json.loads(target.read_text())["consumer_secret"] == SECRET
    assert stat.S_IMODE(target.stat().st_mode) == 0o600, "the new file is a new inode, 0600 from creation"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "users.jsonl"
    target.write_text("previous export\n")
    with pytest.raises(RuntimeError, match="boom"), private_text_file(target) as handle:
        handle.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["users.jsonl"]


def test_default_destination_is_a_file_in_the_configured_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__FLAT__SECRETS_DIR", str(tmp_path / "vault"))
    destination = to_destination(None)
    assert isinstance(destination, FileDestination)
    assert deliver_secret(destination, payload("x")) == f"file:{tmp_path / 'vault' / 'x.json'}"


def test_unusable_directory_is_reported_before_any_secret_exists(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SecretDeliveryError, match="Cannot create the secrets directory"):
        check_destination(FileDestination(f"{blocker}/sub/"))


def test_delivery_errors_never_quote_the_secret() -> None:
    def leaky(received: SecretPayload) -> None:
        raise ConnectionError(f"could not store {received.secrets['consumer_secret']} (and {SECRET[:10]})")

    with pytest.raises(SecretDeliveryError) as caught:
        deliver_secret(to_destination(leaky), payload())
    text = str(caught.value)
    assert SECRET not in text
    assert "could not store ***" in text and "callable:" in text and "Fix the destination" in text


def test_payload_repr_hides_secrets_and_destinations_parse() -> None:
    assert SECRET not in repr(payload())
    assert isinstance(to_destination("variable:flat_lti_secret"), VariableDestination)
    assert isinstance(to_destination("connection:flat_lti"), ConnectionDestination)
    assert isinstance(to_destination("/srv/secrets/"), FileDestination)
    assert isinstance(to_destination(print), CallableDestination)
    with pytest.raises(SecretDeliveryError, match="may hold only letters"):
        check_destination(VariableDestination("bad key!"))


def test_connection_destination_needs_a_writable_secrets_backend() -> None:
    with pytest.raises(SecretDeliveryError, match="no configured secrets backend offers set_connection"):
        check_destination(ConnectionDestination("flat_lti"))


def _pair(pair_id: str) -> LtiKeyPair:
    return LtiKeyPair(pair_id, "n", "canvas", datetime(2024, 1, 1, tzinfo=timezone.utc), None, "k", "s")


@pytest.mark.parametrize(
    ("keep_last", "kept", "revoked"),
    [(1, [], ["c", "b", "a"]), (2, ["c"], ["b", "a"]), (4, ["c", "b", "a"], [])],
)
def test_keep_last_counts_the_new_pair(keep_last: int, kept: list[str], revoked: list[str]) -> None:
    existing = [_pair("c"), _pair("b"), _pair("a")]  # newest first
    keep, revoke = plan_revocations(existing, keep_last)
    assert [p.id for p in keep] == kept and [p.id for p in revoke] == revoked


def test_listing_export_to_an_object_storage_path(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    from flat_provider.operators.export import output_format, write_records

    target = ObjectStoragePath(f"file://{tmp_path}/exports/users.csv")
    records = ({"id": str(i), "username": f"u{i}", "groups": ["g1", "g2"]} for i in range(3))
    count = write_records(
        records, target, fmt=output_format(target, None), fields=["id", "username", "groups"]
    )
    assert count == 3
    assert (tmp_path / "exports" / "users.csv").read_text().splitlines() == [
        "id,username,groups",
        "0,u0,g1;g2",
        "1,u1,g1;g2",
        "2,u2,g1;g2",
    ]
