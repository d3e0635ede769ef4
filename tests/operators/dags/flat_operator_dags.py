"""DAGs exercising every Flat operator against the emulator (run with ``dag.test()`` by tests/operators).

Per-run values come from ``params`` (paths, names); the Flat connection from AIRFLOW_CONN_FLAT_DEFAULT; the
initial password from the Variable ``flat_test_password_secret`` (AIRFLOW_VAR_..., masked because of its key).
Tasks that are expected to fail are leaves, so the others still run; tests assert each task's state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Connection, task

from flat_provider.operators import (
    ConnectionDestination,
    CountOrgUsersOperator,
    CreateLtiConfigurationOperator,
    CreateLtiCredentialsOperator,
    CreateOrgInvitationOperator,
    CreateOrgUserAccessTokenOperator,
    CreateOrgUserOperator,
    CreateOrgUserSigninLinkOperator,
    DeleteLtiConfigurationOperator,
    ListLtiConfigurationsOperator,
    ListLtiCredentialsOperator,
    ListOrgInvitationsOperator,
    ListOrgUsersOperator,
    RemoveOrgInvitationOperator,
    RemoveOrgUserOperator,
    RevokeLtiCredentialsOperator,
    RotateLtiConfigurationOperator,
    RotateLtiCredentialsOperator,
    SecretPayload,
    UpdateLtiConfigurationOperator,
    UpdateOrgUserOperator,
)

START = pendulum.datetime(2024, 1, 1, tz="UTC")
PASSWORD = "{{ var.value.flat_test_password_secret }}"
CAPTURE_ENV = "FLAT_OPERATOR_TEST_CAPTURE_DIR"
STORE_ENV = "FLAT_OPERATOR_TEST_CONNECTION_STORE"


class JsonFileSecretsBackend:
    """A writable secrets backend (connections in a JSON file), configured as [workers] secrets_backend
    for one test run: ConnectionDestination writes through it and Connection.get reads it back."""

    def _load(self) -> dict[str, str]:
        store = Path(os.environ[STORE_ENV])
        return json.loads(store.read_text()) if store.exists() else {}

    def set_connection(self, conn_id: str, connection: Connection) -> None:
        data = self._load()
        data[conn_id] = connection.as_json()
        Path(os.environ[STORE_ENV]).write_text(json.dumps(data))

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        return self._load().get(conn_id)

    def get_connection(self, conn_id: str, team_name: str | None = None) -> Connection | None:
        value = self.get_conn_value(conn_id)
        return Connection.from_json(value, conn_id=conn_id) if value else None

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        return None

    def get_config(self, key: str) -> str | None:
        return None

    def _set_connection_class(self, conn_class: type) -> None:
        return None


def vault_is_down(payload: SecretPayload) -> None:
    """A delivery that fails (after keeping a copy for the leak test), quoting the secret in its error."""
    capture = Path(os.environ[CAPTURE_ENV])
    capture.mkdir(parents=True, exist_ok=True)
    (capture / f"{payload.label}-{len(list(capture.iterdir()))}.json").write_text(
        json.dumps(payload.as_dict())
    )
    raise RuntimeError(f"vault unreachable while storing {payload.secrets.get('consumer_secret')}")


with DAG("flat_ops_users", schedule=None, start_date=START, catchup=False) as users_dag:
    create = CreateOrgUserOperator(
        task_id="create_user",
        username="{{ params.username }}",
        password=PASSWORD,
        firstname="Ada",
        lastname="Lovelace",
        email_address="{{ params.email }}",
        role="user",
    )
    skip = CreateOrgUserOperator(
        task_id="create_again_skip",
        username="{{ params.username }}",
        password=PASSWORD,
        email_address="{{ params.email }}",
        if_exists="skip",
    )
    update_by_create = CreateOrgUserOperator(
        task_id="create_again_update",
        username="{{ params.username }}",
        password=PASSWORD,
        lastname="King",
        email_address="{{ params.email }}",
        if_exists="update",
    )
    duplicate = CreateOrgUserOperator(
        task_id="create_again_fail",
        username="{{ params.username }}",
        password=PASSWORD,
        email_address="{{ params.email }}",
    )
    update = UpdateOrgUserOperator(task_id="update_user", user="{{ params.email }}", firstname="Augusta")
    update_noop = UpdateOrgUserOperator(
        task_id="update_noop", user="{{ params.username }}", firstname="Augusta"
    )
    signin = CreateOrgUserSigninLinkOperator(
        task_id="signin_link",
        user="{{ params.username }}",
        destination_path="/my-library",
        destination="file:{{ params.secrets_dir }}/signin/",
    )
    token = CreateOrgUserAccessTokenOperator(
        task_id="access_token",
        user="{{ params.username }}",
        scopes=["scores.readonly", "edu.classes.readonly"],
        destination="variable:{{ params.variable_key }}",
    )
    count = CountOrgUsersOperator(task_id="count_students", role="user")
    list_csv = ListOrgUsersOperator(task_id="list_users_csv", output_path="{{ params.out_dir }}/users.csv")
    list_store = ListOrgUsersOperator(
        task_id="list_users_object_storage",
        output_path="file://{{ params.out_dir }}/store/users.jsonl",
        role="teacher",
    )
    list_small = ListOrgUsersOperator(task_id="list_users_small", q="{{ params.username }}")
    list_too_many = ListOrgUsersOperator(task_id="list_users_too_many", max_xcom_ids=5)
    remove = RemoveOrgUserOperator(task_id="remove_user", user="{{ params.username }}")
    remove_again = RemoveOrgUserOperator(task_id="remove_again", user="{{ params.username }}")
    remove_admin = RemoveOrgUserOperator(task_id="remove_admin_refused", user="{{ params.admin }}")
    remove_admin_ok = RemoveOrgUserOperator(
        task_id="remove_admin_allowed",
        user="{{ params.other_admin }}",
        allow_admin_removal=True,
        convert_to_individual=True,
    )
    create >> skip >> update_by_create >> duplicate
    update_by_create >> update >> update_noop >> [signin, token, list_small, count, list_csv]
    [signin, token, list_small, count, list_csv] >> remove >> remove_again


with DAG("flat_ops_invitations", schedule=None, start_date=START, catchup=False) as invitations_dag:
    invite = CreateOrgInvitationOperator(task_id="invite_teacher", email_address="{{ params.email }}")
    invite_again = CreateOrgInvitationOperator(task_id="invite_again", email_address="{{ params.email }}")
    invite_member = CreateOrgInvitationOperator(
        task_id="invite_member", email_address="{{ params.member_email }}", organization_role="admin"
    )
    invite_open = CreateOrgInvitationOperator(
        task_id="invite_open", destination="file:{{ params.secrets_dir }}/invitations/"
    )
    listing = ListOrgInvitationsOperator(
        task_id="list_invitations", output_path="{{ params.out_dir }}/invitations.jsonl"
    )
    remove = RemoveOrgInvitationOperator(
        task_id="remove_invitation", invitation="{{ ti.xcom_pull(task_ids='invite_teacher')['id'] }}"
    )
    remove_again = RemoveOrgInvitationOperator(
        task_id="remove_again", invitation="{{ ti.xcom_pull(task_ids='invite_teacher')['id'] }}"
    )
    invite >> invite_again >> [invite_member, invite_open] >> listing >> remove >> remove_again


with DAG("flat_ops_lti", schedule=None, start_date=START, catchup=False) as lti_dag:
    creds = CreateLtiCredentialsOperator(
        task_id="create_credentials",
        name="{{ params.name }}",
        lms="canvas",
        destination="file:{{ params.secrets_dir }}/credentials/",
    )
    list_creds = ListLtiCredentialsOperator(task_id="list_credentials", lms="canvas")
    revoke = RevokeLtiCredentialsOperator(
        task_id="revoke_credentials", credentials="{{ ti.xcom_pull(task_ids='create_credentials')['id'] }}"
    )
    revoke_again = RevokeLtiCredentialsOperator(
        task_id="revoke_again", credentials="{{ ti.xcom_pull(task_ids='create_credentials')['id'] }}"
    )
    config13 = CreateLtiConfigurationOperator(
        task_id="create_config_13",
        mode="1p3-manual",
        settings={
            "platform_iss": "https://canvas.instructure.com",
            "platform_name": "Canvas",
            "client_id": "10000000000001",
            "deployment_id": "1:abc",
            "access_token_url": "https://canvas.example/login/oauth2/token",
            "authorization_url": "https://canvas.example/api/lti/authorize_redirect",
            "jwks_url": "https://canvas.example/api/lti/security/jwks",
        },
    )
    dynamic = CreateLtiConfigurationOperator(
        task_id="create_config_dynamic",
        mode="1p3-dynamic",
        settings={"platform_info": {"name": "Moodle", "url": "https://moodle.example"}},
        destination="file:{{ params.secrets_dir }}/dynamic/",
    )
    config11 = CreateLtiConfigurationOperator(
        task_id="create_config_11",
        mode="1p1-manual",
        name="{{ params.name }} 1.1",
        lms="sakai",
        destination="file:{{ params.secrets_dir }}/config11/",
    )
    update = UpdateLtiConfigurationOperator(
        task_id="update_config",
        configuration="{{ ti.xcom_pull(task_ids='create_config_13')['id'] }}",
        settings={"enable_email_matching": False, "deployment_id": "1:def"},
    )
    update_11 = UpdateLtiConfigurationOperator(
        task_id="update_config_11_refused",
        configuration="{{ ti.xcom_pull(task_ids='create_config_11')['id'] }}",
        settings={"enable_email_matching": False},
    )
    list_configs = ListLtiConfigurationsOperator(task_id="list_configs_13", lti_version="1p3")
    delete = DeleteLtiConfigurationOperator(
        task_id="delete_config", configuration="{{ ti.xcom_pull(task_ids='create_config_13')['id'] }}"
    )
    delete_again = DeleteLtiConfigurationOperator(
        task_id="delete_again", configuration="{{ ti.xcom_pull(task_ids='create_config_13')['id'] }}"
    )
    creds >> list_creds >> revoke >> revoke_again
    config11 >> update_11
    [config13, dynamic] >> update >> list_configs >> delete >> delete_again


with DAG("flat_ops_rotation", schedule=None, start_date=START, catchup=False) as rotation_dag:
    plan = RotateLtiCredentialsOperator(
        task_id="rotate_dry_run",
        name="{{ params.name }}",
        lms="moodle",
        keep_last="{{ params.keep_last }}",
        destination="file:{{ params.secrets_dir }}/rotation/",
        dry_run="{{ params.dry_run }}",
    )
    rotate = RotateLtiCredentialsOperator(
        task_id="rotate",
        name="{{ params.name }}",
        lms="moodle",
        keep_last=2,
        destination="file:{{ params.secrets_dir }}/rotation/",
    )
    rotate_11 = RotateLtiConfigurationOperator(
        task_id="rotate_config_11",
        name="{{ params.config_name }}",
        lms="schoology",
        destination="file:{{ params.secrets_dir }}/rotation11/",
    )
    plan >> rotate >> rotate_11


with DAG("flat_ops_rotation_failure", schedule=None, start_date=START, catchup=False) as failure_dag:
    RotateLtiCredentialsOperator(
        task_id="rotate_delivery_fails", name="{{ params.name }}", lms="canvas", destination=vault_is_down
    )
    RotateLtiCredentialsOperator(
        task_id="rotate_unwritable_connection",
        name="{{ params.name }}",
        lms="canvas",
        destination=ConnectionDestination("flat_lti_{{ params.lms }}"),
    )


with DAG("flat_ops_connection_delivery", schedule=None, start_date=START, catchup=False) as connection_dag:

    @task
    def read_back(conn_id: str) -> dict[str, object]:
        """What a later task sees: the connection written by the delivery, read through Airflow."""
        conn = Connection.get(conn_id)
        return {
            "login": conn.login,
            "has_password": bool(conn.password),
            "extra_keys": sorted(conn.extra_dejson),
        }

    CreateLtiCredentialsOperator(
        task_id="create_credentials_to_connection",
        name="{{ params.name }}",
        lms="sakai",
        destination="connection:{{ params.conn_id }}",
    ) >> read_back("{{ params.conn_id }}")


with DAG("flat_ops_retry", schedule=None, start_date=START, catchup=False) as retry_dag:
    # The first try is killed by its timeout while Flat (slowly) answers the create it has applied;
    # the retry must find that user instead of creating a second one.
    killed_then_retried = CreateOrgUserOperator(
        task_id="create_user_retried",
        username="{{ params.username }}",
        password=PASSWORD,
        email_address="{{ params.email }}",
        retries=1,
        retry_delay=dt.timedelta(0),
        execution_timeout=dt.timedelta(seconds=1),
    )
    # Flat's answer is lost (read timeout) in the same try: the operator looks the user up and adopts it.
    answer_lost = CreateOrgUserOperator(
        task_id="create_user_answer_lost",
        username="{{ params.other_username }}",
        password=PASSWORD,
        client_options={"read_timeout": 0.5},
    )
    killed_then_retried >> answer_lost
