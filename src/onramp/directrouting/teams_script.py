"""The Teams PowerShell of the ``teams_voice`` step (SPEC "Direct Routing provisioning" 5).

Microsoft offers voice routing for derived trunks only through Teams PowerShell, so Onramp hands
the operator a script made for one service: it signs in interactively to the customer's tenant
(``Connect-MicrosoftTeams -TenantId``; it never carries a key or a token), reads each object
before it writes it (``Get-`` then ``New-`` or ``Set-``), so running it twice changes nothing, and
points the voice route at the service's sub-domains, the derived trunks of the provider's carrier
trunks. Only names Onramp derived go into it (a label of ``[a-z0-9-]``, FQDNs, a GUID), each in a
single-quoted PowerShell string.
"""

from __future__ import annotations

from dataclasses import dataclass

NUMBER_PATTERN = r"^\+\d+$"  # every E.164 number: the provider's SBCs route the rest


@dataclass(frozen=True)
class TeamsVoicePlan:
    """What the script configures in the customer's tenant."""

    tenant_id: str
    label: str
    subdomains: list[str]
    service_name: str

    @property
    def pstn_usage(self) -> str:
        return f"Onramp-{self.label}"

    @property
    def voice_route(self) -> str:
        return f"Onramp-{self.label}"

    @property
    def policy(self) -> str:
        return f"Onramp-{self.label}"


def quoted(text: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; a quote is doubled."""
    return "'" + text.replace("'", "''") + "'"


def teams_voice_script(plan: TeamsVoicePlan) -> str:
    gateways = ", ".join(quoted(name) for name in plan.subdomains)
    return f"""# Onramp: Teams voice routing for the service {_comment(plan.service_name)}
# Customer tenant (Directory (tenant) ID): {plan.tenant_id}
# Derived trunks (the service's sub-domains): {", ".join(plan.subdomains)}
#
# Run it in PowerShell with the MicrosoftTeams module installed (Install-Module MicrosoftTeams),
# signed in as a Teams Administrator of the customer's tenant. It asks you to sign in; it holds
# no key, secret or token. It reads every object before it writes it, so it is safe to run again.
# When it has finished, confirm on the service's Direct Routing page in Onramp.

#Requires -Modules MicrosoftTeams
$ErrorActionPreference = 'Stop'

$TenantId = {quoted(plan.tenant_id)}
$PstnUsage = {quoted(plan.pstn_usage)}
$VoiceRoute = {quoted(plan.voice_route)}
$Policy = {quoted(plan.policy)}
$Gateways = @({gateways})
$NumberPattern = {quoted(NUMBER_PATTERN)}

Connect-MicrosoftTeams -TenantId $TenantId | Out-Null

# 1. The PSTN usage
$usages = @((Get-CsOnlinePstnUsage -Identity Global).Usage)
if ($usages -notcontains $PstnUsage) {{
    Set-CsOnlinePstnUsage -Identity Global -Usage @{{Add = $PstnUsage}}
    Write-Host "PSTN usage $PstnUsage added."
}} else {{
    Write-Host "PSTN usage $PstnUsage already there."
}}

# 2. The voice route to the derived trunks
$route = Get-CsOnlineVoiceRoute -Identity $VoiceRoute -ErrorAction SilentlyContinue
if ($null -eq $route) {{
    New-CsOnlineVoiceRoute -Identity $VoiceRoute -NumberPattern $NumberPattern `
        -OnlinePstnGatewayList $Gateways -OnlinePstnUsages $PstnUsage -Priority 1 | Out-Null
    Write-Host "Voice route $VoiceRoute created."
}} elseif ((Compare-Object @($route.OnlinePstnGatewayList) $Gateways) -or
        (@($route.OnlinePstnUsages) -notcontains $PstnUsage) -or
        ($route.NumberPattern -ne $NumberPattern)) {{
    Set-CsOnlineVoiceRoute -Identity $VoiceRoute -NumberPattern $NumberPattern `
        -OnlinePstnGatewayList $Gateways -OnlinePstnUsages $PstnUsage
    Write-Host "Voice route $VoiceRoute updated."
}} else {{
    Write-Host "Voice route $VoiceRoute already there."
}}

# 3. The voice routing policy
$found = Get-CsOnlineVoiceRoutingPolicy -Identity $Policy -ErrorAction SilentlyContinue
if ($null -eq $found) {{
    New-CsOnlineVoiceRoutingPolicy -Identity $Policy -OnlinePstnUsages $PstnUsage | Out-Null
    Write-Host "Voice routing policy $Policy created."
}} elseif (@($found.OnlinePstnUsages) -notcontains $PstnUsage) {{
    Set-CsOnlineVoiceRoutingPolicy -Identity $Policy -OnlinePstnUsages @{{Add = $PstnUsage}}
    Write-Host "Voice routing policy $Policy updated."
}} else {{
    Write-Host "Voice routing policy $Policy already there."
}}

# 4. The policy's grant: the tenant's default, so every Teams Phone user routes through it
Grant-CsOnlineVoiceRoutingPolicy -PolicyName $Policy -Global -Force
Write-Host "Voice routing policy $Policy granted to the tenant."

Disconnect-MicrosoftTeams | Out-Null
Write-Host "Done. Confirm on the service's Direct Routing page in Onramp."
"""


def teams_teardown_script(plan: TeamsVoicePlan) -> str:
    """Remove Direct Routing's Teams part: what ``teams_voice_script`` created, removed in the
    reverse order, each looked up first (``Get-`` then ``Remove-``), so running it twice is
    harmless."""
    return f"""# Onramp: Teams voice routing teardown for the service {_comment(plan.service_name)}
# Customer tenant (Directory (tenant) ID): {plan.tenant_id}
# Derived trunks removed: {", ".join(plan.subdomains)}
#
# Run it in PowerShell with the MicrosoftTeams module installed (Install-Module MicrosoftTeams),
# signed in as a Teams Administrator of the customer's tenant. It asks you to sign in; it holds
# no key, secret or token. It looks for every object before it removes it, so it is safe to run
# again. When it has finished, confirm on the service's Direct Routing page in Onramp.

#Requires -Modules MicrosoftTeams
$ErrorActionPreference = 'Stop'

$TenantId = {quoted(plan.tenant_id)}
$PstnUsage = {quoted(plan.pstn_usage)}
$VoiceRoute = {quoted(plan.voice_route)}
$Policy = {quoted(plan.policy)}

Connect-MicrosoftTeams -TenantId $TenantId | Out-Null

# 1. The voice routing policy, its grant as the tenant's default returned to Microsoft's first
$found = Get-CsOnlineVoiceRoutingPolicy -Identity $Policy -ErrorAction SilentlyContinue
if ($null -ne $found) {{
    Grant-CsOnlineVoiceRoutingPolicy -PolicyName $null -Global -Force
    Remove-CsOnlineVoiceRoutingPolicy -Identity $Policy
    Write-Host "Voice routing policy $Policy removed."
}} else {{
    Write-Host "Voice routing policy $Policy already gone."
}}

# 2. The voice route to the derived trunks
$route = Get-CsOnlineVoiceRoute -Identity $VoiceRoute -ErrorAction SilentlyContinue
if ($null -ne $route) {{
    Remove-CsOnlineVoiceRoute -Identity $VoiceRoute
    Write-Host "Voice route $VoiceRoute removed."
}} else {{
    Write-Host "Voice route $VoiceRoute already gone."
}}

# 3. The PSTN usage
$usages = @((Get-CsOnlinePstnUsage -Identity Global).Usage)
if ($usages -contains $PstnUsage) {{
    Set-CsOnlinePstnUsage -Identity Global -Usage @{{Remove = $PstnUsage}}
    Write-Host "PSTN usage $PstnUsage removed."
}} else {{
    Write-Host "PSTN usage $PstnUsage already gone."
}}

Disconnect-MicrosoftTeams | Out-Null
Write-Host "Done. Confirm on the service's Direct Routing page in Onramp."
"""


def _comment(text: str) -> str:
    """A name in a comment line: one line, whatever the name holds."""
    return " ".join(text.split())
