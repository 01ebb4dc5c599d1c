"""Fixtures of the functional tests."""

from __future__ import annotations

import ssl

import pytest
import trustme


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server_context, bundle
