"""The operators' public surface: names, light imports, templated arguments, parse-time errors, links."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import pytest

import flat_provider.operators as operators
from flat_provider import get_provider_info
from flat_provider.operators.base import FlatBaseOperator

REQUIRED = [
    "CreateOrgUserOperator",
    "UpdateOrgUserOperator",
    "RemoveOrgUserOperator",
    "CountOrgUsersOperator",
    "ListOrgUsersOperator",
    "CreateOrgUserSigninLinkOperator",
    "CreateOrgUserAccessTokenOperator",
    "CreateOrgInvitationOperator",
    "RemoveOrgInvitationOperator",
    "ListOrgInvitationsOperator",
    "CreateLtiCredentialsOperator",
    "ListLtiCredentialsOperator",
    "RevokeLtiCredentialsOperator",
    "CreateLtiConfigurationOperator",
    "ListLtiConfigurationsOperator",
    "UpdateLtiConfigurationOperator",
    "DeleteLtiConfigurationOperator",
    "RotateLtiCredentialsOperator",
    "RotateLtiConfigurationOperator",
]
# Constructor arguments kept under another attribute name (BaseOperator owns the plain one).
RENAMED = {"dry_run": "plan_only"}


def test_every_operator_is_importable_from_the_package() -> None:
    for name in REQUIRED:
        assert issubclass(getattr(operators, name), FlatBaseOperator), name
    assert set(REQUIRED) <= set(operators.__all__)
    with pytest.raises(AttributeError, match="NoSuchOperator"):
        _ = operators.NoSuchOperator


def test_importing_operators_loads_no_http_stack() -> None:
    code = textwrap.dedent(
        """
        import sys
        from flat_provider.operators import CreateOrgUserOperator, RotateLtiCredentialsOperator
        from flat_provider.operators import ListOrgUsersOperator, CreateLtiConfigurationOperator
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("requests", "fastapi", "uvicorn")
                       or m.startswith(("flat_provider.client", "flat_provider.hooks.flat")))
        print(heavy)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("name", REQUIRED)
def test_every_user_facing_argument_is_templated(name: str) -> None:
    cls = getattr(operators, name)
    arguments = {
        parameter
        for klass in cls.__mro__
        if issubclass(klass, FlatBaseOperator)
        for parameter, spec in inspect.signature(klass.__init__).parameters.items()
        if parameter != "self" and spec.kind is not inspect.Parameter.VAR_KEYWORD
    }
    missing = {RENAMED.get(a, a) for a in arguments} - set(cls.template_fields)
    assert missing == set()


def test_extra_link_is_registered_in_provider_info() -> None:
    from flat_provider.operators.links import FlatUserLink

    assert get_provider_info()["extra-links"] == ["flat_provider.operators.links.FlatUserLink"]
    operator = operators.CreateOrgUserOperator(task_id="t", username="u", password="secret-pw")
    link = FlatUserLink()
    assert link.get_link(operator, ti_key=None) == ""  # type: ignore[arg-type]
    operator.flat_html_url = "https://flat.io/@ada"
    assert link.get_link(operator, ti_key=None) == "https://flat.io/@ada"  # type: ignore[arg-type]
    operator.flat_html_url = "javascript:alert(1)"
    assert link.get_link(operator, ti_key=None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (
            lambda: operators.CreateOrgUserOperator(
                task_id="t", username="u", password="p" * 8, if_exists="merge"
            ),
            "if_exists='merge' is not allowed; use one of 'fail', 'skip', 'update'",
        ),
        (
            lambda: operators.CreateOrgUserOperator(
                task_id="t", username="u", password="p" * 8, role="student"
            ),
            "role='student' is not allowed",
        ),
        (lambda: operators.UpdateOrgUserOperator(task_id="t", user="u"), "nothing to update"),
        (
            lambda: operators.RotateLtiCredentialsOperator(task_id="t", name="n", lms="canvas", keep_last=0),
            "keep_last=0; it counts the new pair",
        ),
        (
            lambda: operators.RotateLtiCredentialsOperator(task_id="t", name="n", lms="myLMS"),
            "lms='myLMS' is not allowed",
        ),
        (
            lambda: operators.CreateLtiCredentialsOperator(
                task_id="t", name="n", lms="canvas", destination="s3:x"
            ),
            "Unknown secret destination 's3:x'",
        ),
        (
            lambda: operators.CreateOrgUserAccessTokenOperator(
                task_id="t", user="u", scopes=["scores", "root"]
            ),
            "unknown scope(s) root",
        ),
        (
            lambda: operators.CreateLtiConfigurationOperator(task_id="t", mode="1p2-manual"),
            "mode='1p2-manual' is not allowed",
        ),
    ],
)
def test_bad_arguments_fail_at_parse_time_saying_what_to_fix(factory: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        factory()  # type: ignore[operator]
    assert message in str(caught.value)


def test_templated_choices_are_checked_after_rendering_only() -> None:
    operator = operators.RotateLtiCredentialsOperator(
        task_id="t", name="n", lms="canvas", keep_last="{{ params.keep }}", destination="{{ params.where }}"
    )
    operator.keep_last = "3"
    assert operator._keep_last() == 3


def test_operators_do_not_shadow_baseoperator_attributes() -> None:
    """``email`` (alerts), ``output`` (XComArg) and ``dry_run`` (a method) belong to BaseOperator."""
    operator = operators.CreateOrgUserOperator(
        task_id="t", username="u", password="p" * 8, email_address="ada@school.example"
    )
    assert operator.email is None and operator.email_address == "ada@school.example"
    rotate = operators.RotateLtiCredentialsOperator(task_id="r", name="n", lms="canvas", dry_run=True)
    assert callable(rotate.dry_run) and rotate.plan_only is True
    listing = operators.ListOrgUsersOperator(task_id="l", output_path="/tmp/x.csv")
    assert listing.output_path == "/tmp/x.csv" and not isinstance(listing.output, str)
