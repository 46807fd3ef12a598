"""Keeps invitation and set-up links out of logs: the token in ``/invite/<token>`` and in
``/setup/<token>`` is a bearer secret; so is the authorization code Microsoft sends back to
``/invite/callback``.

Three layers, because records reach the logs by different roads:

- ``InvitationTokenFilter`` goes on every handler (settings.LOGGING), so a record is masked
  whichever logger it came from;
- ``install_masking()`` adds that filter to the handlers already configured and masks each new
  record as it is made — for processes whose logging is configured after we get control (the
  gunicorn workers load Django, and with it settings.LOGGING, after forking);
- ``GunicornLogger`` masks gunicorn's access-log atoms (request line, path, query, headers).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger as _GunicornBaseLogger

MASK = "****"
# "/invite/" or "/setup/" (also percent-encoded, as in ?next=%2Finvite%2F...) and the token.
_INVITE_TOKEN = re.compile(r"((?:/|%2[Ff])(?:invite|setup)(?:/|%2[Ff]))[^/\s?#&%\"'<>\\]+")


# Microsoft's answer to a sign-in, in the query of ``/invite/callback``: the authorization code
# (and the state bound to it) must not reach an access log either.
_SIGN_IN_ANSWER = re.compile(r"((?:^|[?&]|%3[Ff]|%26)(?:code|state|session_state)=)[^&\s\"'<>%]+")


def mask_invitation_tokens(text: str) -> str:
    """``…/invite/<token>…`` → ``…/invite/****…`` (and /setup/), ``code=``, ``state=`` and
    ``session_state=`` query values → ``****``; the rest is left as it is."""
    if "invite" in text or "setup" in text:
        text = _INVITE_TOKEN.sub(rf"\g<1>{MASK}", text)
    if "code=" in text or "state=" in text:
        text = _SIGN_IN_ANSWER.sub(rf"\g<1>{MASK}", text)
    return text


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the message (with its arguments merged in), the traceback and the stack in place."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: the handler reports it, unmasked parts unseen
        record.msg, record.args = "<log message could not be formatted>", None
        return record
    masked = mask_invitation_tokens(message)
    if masked != message:
        # Freeze the merged message: its arguments are formatted once, here, and masked.
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        if mask_invitation_tokens(text) != text:
            record.exc_text = mask_invitation_tokens(text)
    elif record.exc_text:
        record.exc_text = mask_invitation_tokens(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_invitation_tokens(record.stack_info)
    return record


class InvitationTokenFilter(logging.Filter):
    """A handler filter: never drops a record, only masks it."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _all_handlers() -> list[logging.Handler]:
    handlers = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    return handlers


def install_masking() -> None:
    """Mask every record of this process (and of processes forked from it). Idempotent."""
    for handler in _all_handlers():
        if not any(isinstance(f, InvitationTokenFilter) for f in handler.filters):
            handler.addFilter(InvitationTokenFilter())
    previous = logging.getLogRecordFactory()
    if getattr(previous, "masks_invitation_tokens", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    factory.masks_invitation_tokens = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger with the invitation token masked in access and error lines.

    Used by ``onramp serve`` (``--logger-class onramp.core.logging.GunicornLogger``).
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        install_masking()

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: mask_invitation_tokens(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
