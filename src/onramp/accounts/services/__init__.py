"""Writes for operators and their API tokens, one module per concept:

- ``operators``: create (CLI), invite, change, deactivate — the admin check is in each write;
- ``setup_links``: the emailed one-time set-up link;
- ``own``: an operator on itself (second factor, password);
- ``tokens``: API tokens.

The names used from outside the app are re-exported, so their import paths stay as they were.
"""

from onramp.accounts.services.operators import operator_create, operator_invite, scope_text
from onramp.accounts.services.tokens import (
    IssuedToken,
    token_authenticate,
    token_create,
    token_revoke,
)

__all__ = [
    "IssuedToken",
    "operator_create",
    "operator_invite",
    "scope_text",
    "token_authenticate",
    "token_create",
    "token_revoke",
]
