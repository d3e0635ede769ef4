"""Monthly rotation of an LTI 1.1 consumer key/secret pair: create, deliver, and only then revoke the old.

If the new pair cannot be delivered, nothing old is revoked (the LMS keeps working) and the undelivered new
pair is revoked. The key and secret go to a private 0600 file by default (see the provider's README); a
dry run lists what would be created, kept and revoked.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, task

from flat_provider.operators.rotation import RotateLtiConfigurationOperator, RotateLtiCredentialsOperator

LMS_EXAMPLES = ["canvas", "moodle", "schoology", "blackboard", "desire2learn", "sakai", "schoolbox", "other"]

with DAG(
    dag_id="flat_rotate_lti_credentials",
    description="Rotate an LTI 1.1 consumer key and secret without breaking the LMS integration",
    schedule="0 4 1 * *",  # 04:00 on the first of each month
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,
    tags=["flat", "lti"],
    params={
        "api": Param(
            "lti_credentials",
            type="string",
            enum=["lti_credentials", "lti_configurations"],
            title="Which LTI API",
            description="lti_credentials: Flat's (deprecated) LTI 1.1 credentials. lti_configurations: 1.1 configurations of the newer unified API.",
        ),
        "name": Param(
            "Canvas LMS",
            type="string",
            minLength=1,
            title="Name",
            description="The credentials' name, matched exactly.",
        ),
        "lms": Param(
            "canvas",
            type="string",
            examples=LMS_EXAMPLES,
            title="LMS",
            description="The LMS the credentials are for.",
        ),
        "keep_last": Param(
            2,
            type="integer",
            minimum=1,
            title="Pairs to keep",
            description="Pairs of this name and LMS that survive, the new one included (2 keeps the previous one as a grace period).",
        ),
        "destination": Param(
            None,
            type=["null", "string"],
            title="Deliver to",
            description="Empty: a 0600 JSON file under [flat] secrets_dir. Or a path, 'variable:<key>'.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="List what would be created and revoked; change nothing.",
        ),
    },
    doc_md=__doc__,
) as dag:

    @task.branch
    def which_api(api: str) -> str:
        return "rotate_credentials" if api == "lti_credentials" else "rotate_configurations"

    common = {
        "name": "{{ params.name }}",
        "lms": "{{ params.lms }}",
        "keep_last": "{{ params.keep_last }}",
        "destination": "{{ params.destination }}",
        "dry_run": "{{ params.dry_run }}",
    }
    which_api("{{ params.api }}") >> [
        RotateLtiCredentialsOperator(task_id="rotate_credentials", **common),
        RotateLtiConfigurationOperator(task_id="rotate_configurations", **common),
    ]
