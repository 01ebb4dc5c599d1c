"""`tiri-tui doctor` against the embedded server, healthy and with each fault on;
the installed command run as a subprocess."""

from __future__ import annotations

import json

from tests.support.cli import login, run_cli
from tests.support.tokens import issued_tokens
from tiri_tui.server import DemoServer


def steps(out: str) -> dict[str, dict]:
    return {row["step"]: row for row in map(json.loads, out.splitlines())}


async def doctor(home, server, *options: str) -> tuple[int, dict[str, dict], str]:
    code, out, err = await run_cli(home, "--server", server.url, *options, "doctor", "--json")
    return code, steps(out), out + err


async def test_a_healthy_server_passes_every_step_and_no_token_is_printed(server, home):
    tokens = issued_tokens(server)
    assert (await login(server, home))[0] == 0
    code, found, everything = await doctor(home, server)
    assert code == 0, everything
    assert list(found) == [
        "reach", "tls", "rest", "clock", "session", "notifications", "websocket", "connection_ack", "ping",
    ]  # fmt: skip
    assert all(step["ok"] is True for step in found.values()), found
    assert "refresh works" in found["session"]["detail"]
    assert "round trip" in found["ping"]["detail"]
    assert tokens and not any(token in everything for token in tokens)
    code, out, _ = await run_cli(home, "--server", server.url, "doctor")  # the text form
    assert code == 0 and out.splitlines()[0].startswith("✓ reach:")


async def test_an_origin_check_is_named_with_the_origin_sent(server, home):
    assert (await login(server, home))[0] == 0
    port = server.url.rsplit(":", 1)[1]
    code, found, _ = await doctor(
        home, server, "--ws-url", f"ws://localhost:{port}/ws/notifications/"
    )
    assert code == 1
    socket = found["websocket"]
    assert socket["ok"] is False and "(403)" in socket["detail"]
    assert "origin check" in socket["advice"] and f"http://127.0.0.1:{port}" in socket["advice"]


async def test_an_origin_checking_socket_gets_the_exact_origin_setting_to_try(server, home):
    """`serve --ws-origins https://app.example.com`: doctor names the Origin sent
    and what to set; with --origin it says it sent that one."""
    server.faults.allowed_origins = ("https://app.example.com",)
    assert (await login(server, home))[0] == 0
    code, found, _ = await doctor(home, server)
    assert code == 1
    socket = found["websocket"]
    assert f"with Origin {server.url} (the server's own)" in socket["detail"]
    assert (
        f"`tiri-tui --server {server.url} --origin http://WEB-APP-HOST doctor`"
        in (socket["advice"])
    )
    assert 'origin = "http://WEB-APP-HOST" in config.toml' in socket["advice"]
    assert "TIRI_ORIGIN" in socket["advice"]
    code, found, _ = await doctor(home, server, "--origin", "https://app.example.com")
    assert code == 0 and found["websocket"]["ok"] is True
    assert "Origin https://app.example.com from the origin setting" in found["websocket"]["detail"]
    code, found, _ = await doctor(home, server, "--origin", "https://elsewhere.example.com")
    assert code == 1
    assert (
        "with Origin https://elsewhere.example.com (from the origin setting)"
        in (found["websocket"]["detail"])
    )


async def test_a_wrong_route_or_a_500_points_at_a_proxy_or_the_route(server, home):
    assert (await login(server, home))[0] == 0
    for status in (404, 500, 200):
        server.faults.ws_route_status = status
        code, found, _ = await doctor(home, server)
        assert code == 1
        assert f"answered HTTP {status} where 101" in found["websocket"]["detail"]
        assert "Upgrade" in found["websocket"]["advice"]


async def test_an_ended_session_says_to_log_in(server, home):
    assert (await login(server, home))[0] == 0
    from tests.support.clients import make_client

    client = make_client(server, home)
    server.state.revoke(client.auth.session.refresh)
    await client.aclose()
    code, found, _ = await doctor(home, server)
    assert code == 1 and found["session"]["ok"] is False
    assert "login" in found["session"]["advice"]
    assert "websocket" not in found  # later steps need a session


async def test_an_untrusted_certificate_and_then_the_ca_bundle(certificates, home):
    server_context, bundle = certificates
    async with DemoServer(seed_count=3, ssl_context=server_context) as server:
        code, found, _ = await doctor(home, server)
        assert code == 1 and found["tls"]["ok"] is False
        assert "not trusted" in found["tls"]["detail"] and "--ca-bundle" in found["tls"]["advice"]
        code, found, _ = await doctor(home, server, "--ca-bundle", str(bundle))
        assert found["tls"]["ok"] is True and "verified" in found["tls"]["detail"]
        assert found["session"]["ok"] is False  # no login in this home: said so, and why
