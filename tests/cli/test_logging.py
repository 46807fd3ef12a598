"""Invitation tokens never reach a log: the filter, the record factory, gunicorn's access log."""

from __future__ import annotations

import io
import logging

import pytest

from onramp.core.logging import InvitationTokenFilter, install_masking, mask_invitation_tokens
from tests.cli.conftest import http, wait_for
from tests.conftest import free_port

TOKEN = "Zm9vYmFyLXRva2VuLXRoYXQtaXMtNDMtY2hhcnMtbG9uZ18"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"GET /invite/{TOKEN} HTTP/1.1", "GET /invite/**** HTTP/1.1"),
        (f"https://onramp.example/invite/{TOKEN}?x=1", "https://onramp.example/invite/****?x=1"),
        (f"/invite/{TOKEN}/next", "/invite/****/next"),
        (f"next=%2Finvite%2F{TOKEN}&a=b", "next=%2Finvite%2F****&a=b"),
        (f"'/invite/{TOKEN}'", "'/invite/****'"),
        ("/invite/ and /invitations/x", "/invite/ and /invitations/x"),
        (
            "GET /invite/callback?code=0.AXo-secret&state=abc&session_state=f1 HTTP/1.1",
            "GET /invite/****?code=****&state=****&session_state=**** HTTP/1.1",
        ),
        ("code=0.AXo-secret&state=abc", "code=****&state=****"),
        ("error=access_denied&state=abc", "error=access_denied&state=****"),
        ("barcode=1 unicode=2", "barcode=1 unicode=2"),
    ],
)
def test_mask_invitation_tokens(text, masked):
    assert mask_invitation_tokens(text) == masked


def capture() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(InvitationTokenFilter())
    logger = logging.getLogger(f"onramp.test.{id(stream)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger, stream


def test_filter_masks_message_arguments_and_tracebacks():
    logger, stream = capture()
    logger.warning("Not Found: %s", f"/invite/{TOKEN}")
    logger.warning("%(path)s answered %(status)d", {"path": f"/invite/{TOKEN}", "status": 404})
    logger.warning(f"link https://x.example/invite/{TOKEN}")
    try:
        raise ValueError(f"bad /invite/{TOKEN}")
    except ValueError:
        logger.exception("failed")
    logger.warning("nothing to hide: %s", "/services/1")
    output = stream.getvalue()
    assert TOKEN not in output
    assert output.count("/invite/****") == 5  # the traceback's source line is masked too
    assert "Not Found: /invite/****\n" in output
    assert "/invite/**** answered 404\n" in output
    assert "ValueError: bad /invite/****" in output
    assert "nothing to hide: /services/1\n" in output


@pytest.fixture
def restore_logging():
    """install_masking() changes the whole process: undo it for the tests that follow."""
    factory = logging.getLogRecordFactory()
    handlers = logging.getLogger().handlers + [
        handler
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
    ]
    filters = {handler: list(handler.filters) for handler in handlers}
    yield
    logging.setLogRecordFactory(factory)
    for handler, before in filters.items():
        handler.filters[:] = before


def test_install_masking_covers_handlers_configured_before_and_records_made_after(
    restore_logging,
):
    stream = io.StringIO()
    logger = logging.getLogger("onramp.test.install")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    install_masking()
    install_masking()  # idempotent
    assert sum(isinstance(f, InvitationTokenFilter) for f in handler.filters) == 1
    logger.warning("opened %s", f"/invite/{TOKEN}")
    assert stream.getvalue() == "opened /invite/****\n"
    record = logging.getLogRecordFactory()(
        "x", logging.INFO, __file__, 1, "GET %s", (f"/invite/{TOKEN}",), None
    )
    assert record.getMessage() == "GET /invite/****"
    logger.removeHandler(handler)


def test_serve_masks_the_token_in_access_and_error_logs(database, background):
    invited = database.scenario("invite", "admin@contoso.example")
    link_token = invited["link"].rsplit("/", 1)[1]
    port = free_port()
    server = background(
        ["serve", "--port", str(port), "--workers", "1"], database.env, name="serve"
    )
    session = http()

    def answered():
        try:
            return session.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except OSError:
            return False

    wait_for(answered)
    wizard = session.get(f"http://127.0.0.1:{port}/invite/{link_token}", timeout=10)
    unknown = session.get(f"http://127.0.0.1:{port}/invite/{link_token}/more?x=1", timeout=10)
    assert unknown.status_code == 404
    wait_for(lambda: '"GET /invite/****/more?x=1 HTTP/1.1" 404' in server.output())
    assert server.stop() == 0
    output = server.output()
    assert link_token not in output
    assert f'"GET /invite/**** HTTP/1.1" {wizard.status_code} ' in output
