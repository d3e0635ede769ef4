"""The `flat` connection's form in the Airflow UI, declared once for both ways Airflow reads it.

Airflow 3.2+ reads ``conn-fields`` / ``ui-field-behaviour`` from the provider info without importing the hook;
Airflow 3.1 calls ``FlatHook.get_connection_form_widgets`` / ``get_ui_field_behaviour``. Both derive from the
tables below so the two forms cannot drift apart.
"""

from __future__ import annotations

from typing import Any

DEFAULT_BASE_URL = "https://api.flat.io/v2"

# Extra fields: name -> (label, JSON type, default, description).
EXTRA_FIELDS: dict[str, tuple[str, str, Any, str]] = {
    "connect_timeout": ("Connect timeout (s)", "number", 10, "Seconds to wait for a TCP/TLS connection."),
    "read_timeout": ("Read timeout (s)", "number", 60, "Seconds to wait for Flat's answer to one request."),
    "max_retries": (
        "Max retries",
        "integer",
        5,
        "Retries of reads, updates and deletes on network errors and 5xx (creates are never blindly retried).",
    ),
    "max_rate_limit_wait": (
        "Max rate-limit wait (s)",
        "number",
        900,
        "Longest sleep for Flat's hourly rate-limit window to reset before the task fails.",
    ),
    "page_size": ("Page size", "integer", 1000, "Users or invitations fetched per request (1-1000)."),
    "pacing": (
        "Pace requests",
        "boolean",
        True,
        "Spread requests over the hour so a long run never hits Flat's rate limit.",
    ),
}

HIDDEN_FIELDS = ["schema", "port", "login"]
RELABELING = {"host": "Base URL", "password": "API token"}
PLACEHOLDERS = {
    "host": DEFAULT_BASE_URL,
    "password": "Personal access token with the edu.admin.users (and edu.admin.lti) scope",
    "extra": '{"read_timeout": 60, "max_rate_limit_wait": 900}',
}

UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": HIDDEN_FIELDS,
    "relabeling": RELABELING,
    "placeholders": PLACEHOLDERS,
}

CONN_FIELDS: dict[str, Any] = {
    name: {
        "label": label,
        "description": description,
        "schema": {"type": [json_type, "null"], "default": default},
    }
    for name, (label, json_type, default, description) in EXTRA_FIELDS.items()
}


def connection_form_widgets() -> dict[str, Any]:
    """WTForms widgets for Airflow 3.1 (imported lazily: the UI's dependencies, not the worker's)."""
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, StringField

    widgets: dict[str, Any] = {}
    for name, (label, json_type, default, description) in EXTRA_FIELDS.items():
        if json_type == "boolean":
            widgets[name] = BooleanField(lazy_gettext(label), default=default, description=description)
        elif json_type == "integer":
            widgets[name] = IntegerField(
                lazy_gettext(label), widget=BS3TextFieldWidget(), default=default, description=description
            )
        else:
            widgets[name] = StringField(
                lazy_gettext(label),
                widget=BS3TextFieldWidget(),
                default=str(default),
                description=description,
            )
    return widgets


def ui_field_behaviour() -> dict[str, Any]:
    """The Airflow 3.1 (snake_case) spelling of :data:`UI_FIELD_BEHAVIOUR`."""
    return {"hidden_fields": HIDDEN_FIELDS, "relabeling": RELABELING, "placeholders": PLACEHOLDERS}
