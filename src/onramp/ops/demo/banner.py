"""What ``onramp demo`` prints once everything answers: where to go, how to sign in, what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onramp.ops.demo.seed import AppRegistration, Login


def banner(url: str, login: Login, registration: AppRegistration, data_dir: Path) -> str:
    password = login.password or f"(unknown: remove {data_dir} to start the demo afresh)"
    return f"""
Onramp demo is running at {url}/

Sign in (this demo operator alone is exempt from the second factor):
  Email:          {login.email}
  Password:       {password}

Sandbox app registration of the customer tenant "Contoso Demo":
  Tenant ID:      {registration.tenant_id}
  Client ID:      {registration.client_id}
  Client secret:  {registration.client_secret}
  (the secret is valid until {registration.expires_at[:10]})

Try it:
  1. Sign in, open Services > Add Service > Direct Routing, choose "Contoso Demo", Next.
  2. Fill in "Unique short name of service" (e.g. Contoso-01), a "License type" and the
     "Number of licensed users"; "Send link to IT administrator for authentication" is
     already selected: enter any "Admin email", Next.
  3. Open the mailbox: {url}/sandbox/mailbox (Demo mailbox in the navigation).
  4. Open the invitation email and click "Click here to activate your tenant".
  5. Choose "Use App Registration", enter the Tenant ID, Client ID and Client secret above,
     and click "Start authentication".
  6. Back in Pending Invitations: Add, then Next: the service becomes active.
  7. Open the service: Configuration > M365 Configuration > Validate Authentication.

Data: {data_dir} (logs in {data_dir / "logs"}). Press Ctrl-C to stop.
"""
