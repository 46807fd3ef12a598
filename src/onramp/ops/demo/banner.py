"""What ``onramp demo`` prints once everything answers: where to go, how to sign in, what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onramp.ops.demo.seed import AppRegistration, Login, SignIn
    from onramp.sandbox.runner import SandboxProcess


def banner(
    url: str,
    login: Login,
    registration: AppRegistration,
    data_dir: Path,
    sign_in: SignIn,
    sandbox: SandboxProcess,
) -> str:
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

Global Administrator of "Contoso Demo", for "Create the app registration for me":
  Username:       {sign_in.admin_upn}
  Admin password: {sign_in.admin_password}
  Microsoft's sign-in pages are the sandbox's ({sandbox.url}), served with a certificate of
  the sandbox's own CA ({sandbox.ca_path}): the browser warns once; choose to continue to
  127.0.0.1 (or import that CA into the browser).

Try it:
  1. Sign in, open Services > Add Service > Direct Routing, choose "Contoso Demo", Next.
  2. Fill in "Unique short name of service" (e.g. Contoso-01), a "License type" and the
     "Number of licensed users"; "Send link to IT administrator for authentication" is
     already selected: enter any "Admin email", Next.
  3. Open the mailbox: {url}/sandbox/mailbox (Demo mailbox in the navigation).
  4. Open the invitation email and click "Click here to activate your tenant".
  5. Choose "Use App Registration", enter the Tenant ID, Client ID and Client secret above,
     and click "Start authentication". Or choose "Create the app registration for me", click
     "Sign in with Microsoft", sign in as the Global Administrator above, accept for your
     organization, then "Create the app registration" and wait for the steps to finish.
  6. Back in Pending Invitations: Add, then Next: the service becomes active.
  7. Open the service: Configuration > M365 Configuration > Validate Authentication.

Data: {data_dir} (logs in {data_dir / "logs"}). Press Ctrl-C to stop.
"""
