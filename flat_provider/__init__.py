"""Apache Airflow provider for Flat for Education's Organization API."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def get_provider_info() -> dict[str, Any]:
    """Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``)."""
    from flat_provider.hooks.connection_form import CONN_FIELDS, UI_FIELD_BEHAVIOUR

    return {
        "package-name": "airflow-provider-flat",
        "name": "Flat for Education",
        "description": "Roster and administer Flat for Education organizations through Flat's Organization API.",
        "versions": [__version__],
        "connection-types": [
            {
                "hook-class-name": "flat_provider.hooks.flat.FlatHook",
                "hook-name": "Flat",
                "connection-type": "flat",
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
                "conn-fields": CONN_FIELDS,
            }
        ],
        "extra-links": ["flat_provider.operators.links.FlatUserLink"],
    }
