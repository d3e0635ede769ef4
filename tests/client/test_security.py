"""Transport security: http:// only to loopback, the token only in the Authorization header of requests
to the base URL's origin, and secrets (token, sign-in links, delegated tokens, LTI secrets) in no log,
repr or exception."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from client_support import TOKEN, client_kwargs
from stub_server import Received, Reply, StubServer

import flat_provider
from flat_provider.client import DEFAULT_BASE_URL, FlatClient
from flat_provider.client.session import PROJECT_URL, BearerAuth
from flat_provider.emulator.server import EmulatorServer

Stub = Callable[[Callable[[Received], Reply]], StubServer]


@pytest.mark.parametrize(
    "url",
    [
        "http://api.flat.io/v2",
        "http://10.0.0.5/v2",
        "http://[2001:db8::1]/v2",
        "http://localhost.evil.com/v2",
    ],
)
def test_plain_http_to_a_non_loopback_host_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"plain http:// to a non-loopback host.*use https://"):
        FlatClient(TOKEN, url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/v2",
        "http://127.10.0.3/v2",
        "http://[::1]:8080/v2",
        "http://localhost:8080/v2/",
        "https://api.flat.io/v2",
        "https://flat.school.example/api/v2",
    ],
)
def test_https_anywhere_and_http_to_loopback_are_accepted(url: str) -> None:
    client = FlatClient(TOKEN, url)
    assert client.base_url == url.rstrip("/")
    assert client.request_count == 0  # nothing is sent when a client is built


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "base_url is empty"),
        ("api.flat.io/v2", "not an http"),
        ("ftp://api.flat.io/v2", "not an http"),
        ("https://user:pw@api.flat.io/v2", "must not contain user:password@"),
        ("https://api.flat.io/v2?token=x", "query string"),
        ("https://api.flat.io:99999/v2", "invalid port"),
    ],
)
def test_bad_base_urls_say_what_to_fix(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        FlatClient(TOKEN, url)


@pytest.mark.parametrize("token", ["", "   ", "two words", "line\nbreak"])
def test_bad_tokens_are_refused_without_echoing_them(token: str) -> None:
    with pytest.raises(ValueError) as caught:
        FlatClient(token, DEFAULT_BASE_URL)
    if token.strip():
        assert token not in str(caught.value)


def test_headers_sent(stub: Stub) -> None:
    server = stub(lambda r: Reply(body=0))
    client = FlatClient(
        f"  Bearer {TOKEN}\n", server.base_url, user_agent_suffix="district-sync/2.1", **client_kwargs()
    )
    client.count_orga_users()
    headers = server.received[0].headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"  # a pasted "Bearer " prefix is not doubled
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(
        f"airflow-provider-flat/{flat_provider.__version__} (+{PROJECT_URL})"
    )
    assert headers["User-Agent"].endswith(" district-sync/2.1")


def test_reprs_hide_the_token() -> None:
    client = FlatClient(TOKEN, DEFAULT_BASE_URL)
    for text in (repr(client), repr(client._session), repr(BearerAuth(TOKEN)), repr(vars(client))):
        assert TOKEN not in text


def test_no_secret_in_debug_logs_of_a_full_session(
    emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, urllib3's, the emulator's
    client = FlatClient(emulator.token, emulator.base_url, **client_kwargs())
    user = client.create_organization_user(username="ada", password="pa55word-ada")
    link = client.create_organization_user_signin_link(user)
    delegated = client.create_organization_user_access_token(user, scopes=["scores"])
    credentials = client.create_lti_credentials(name="Canvas", lms="canvas")
    configuration = client.create_lti_configuration(mode="1p3-dynamic", platform_info={"name": "LMS"})
    list(client.iter_organization_users())

    secrets = [
        emulator.token,
        "pa55word-ada",
        link.url,
        link.token,
        delegated.token,
        credentials.consumer_secret,
    ]
    secrets += [configuration.registration_url, configuration.registration_token]
    secrets = [s for s in secrets if s]
    assert len(secrets) >= 6
    assert "GET /v2/organizations/users -> 200" in caplog.text  # the client did log its requests
    for secret in secrets:
        assert secret not in caplog.text
    for model in (link, delegated, credentials, configuration):
        for secret in secrets:
            assert secret not in repr(model)
