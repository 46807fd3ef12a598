{% autoescape off %}# Onramp setup script (PowerShell, Microsoft Graph PowerShell module)
# For {{ about }}, connected by {{ provider }}.
#
# Creates the app registration
#   {{ app_name }}
# in your Microsoft 365 tenant with exactly the permissions Onramp needs, grants admin consent,
# assigns the directory role, adds a client secret valid for {{ secret_days }} days and prints the
# three values to enter in the invitation's Use App Registration form. Running it again reuses the app of that name and adds only what is
# missing (and a new client secret).
#
# Needs PowerShell 7 (or Windows PowerShell 5.1) and the Microsoft Graph module:
#   Install-Module Microsoft.Graph -Scope CurrentUser
# Sign in as a Global Administrator, or as a Privileged Role Administrator who is also an
# Application Administrator.

#Requires -Modules Microsoft.Graph.Authentication, Microsoft.Graph.Applications, Microsoft.Graph.Identity.Governance
$ErrorActionPreference = 'Stop'

$AppName = {{ app_name }}
$GraphAppId = '{{ graph_app_id }}'
# Microsoft Graph application permissions (app role ids as Microsoft publishes them)
$AppRoleIds = [ordered]@{
{% for name, id in app_roles %}    '{{ name }}' = '{{ id }}'
{% endfor %}}
# Microsoft Entra directory roles (role template ids)
$DirectoryRoleIds = [ordered]@{
{% for name, id in directory_roles %}    '{{ name }}' = '{{ id }}'
{% endfor %}}
$SecretDays = {{ secret_days }}

function Retry([scriptblock] $Action) {
    # A new application or service principal takes a few seconds to reach every replica.
    for ($attempt = 1; ; $attempt++) {
        try { return & $Action }
        catch { if ($attempt -ge 12) { throw }; Start-Sleep -Seconds 10 }
    }
}

Connect-MgGraph{% if tenant_id %} -TenantId '{{ tenant_id }}'{% endif %} -NoWelcome -Scopes 'Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All', 'RoleManagement.ReadWrite.Directory'
$TenantId = (Get-MgContext).TenantId

$access = @(@{
    ResourceAppId  = $GraphAppId
    ResourceAccess = @($AppRoleIds.Values | ForEach-Object { @{ Id = $_; Type = 'Role' } })
})
$nameFilter = "displayName eq '" + $AppName.Replace("'", "''") + "'"
$app = Get-MgApplication -Filter $nameFilter -Top 1
if ($app) {
    Write-Host "Using the existing application $AppName ($($app.AppId))."
    Update-MgApplication -ApplicationId $app.Id -RequiredResourceAccess $access
} else {
    $app = New-MgApplication -DisplayName $AppName -SignInAudience 'AzureADMyOrg' -RequiredResourceAccess $access
    Write-Host "Created the application $AppName ($($app.AppId))."
}

$sp = Get-MgServicePrincipal -Filter "appId eq '$($app.AppId)'"
if (-not $sp) {
    $sp = Retry { New-MgServicePrincipal -AppId $app.AppId }
}
$graphSp = Get-MgServicePrincipal -Filter "appId eq '$GraphAppId'"

# Admin consent: one app role assignment per permission.
$granted = @(Retry { Get-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -All } |
    Where-Object ResourceId -eq $graphSp.Id | ForEach-Object AppRoleId)
foreach ($name in $AppRoleIds.Keys) {
    if ($granted -notcontains $AppRoleIds[$name]) {
        Retry { New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graphSp.Id -AppRoleId $AppRoleIds[$name] } | Out-Null
        Write-Host "Granted $name."
    }
}

# The directory role(s), tenant-wide.
$held = @(Get-MgRoleManagementDirectoryRoleAssignment -Filter "principalId eq '$($sp.Id)'" -All |
    ForEach-Object RoleDefinitionId)
foreach ($name in $DirectoryRoleIds.Keys) {
    if ($held -notcontains $DirectoryRoleIds[$name]) {
        Retry { New-MgRoleManagementDirectoryRoleAssignment -PrincipalId $sp.Id -RoleDefinitionId $DirectoryRoleIds[$name] -DirectoryScopeId '/' } | Out-Null
        Write-Host "Assigned $name."
    }
}

$secret = Add-MgApplicationPassword -ApplicationId $app.Id -PasswordCredential @{
    DisplayName = {{ secret_name }}
    EndDateTime = (Get-Date).ToUniversalTime().AddDays($SecretDays)
}

Write-Host ''
Write-Host 'Enter these values in the invitation (Use App Registration):'
Write-Host "Directory (tenant) ID:   $TenantId"
Write-Host "Application (client) ID: $($app.AppId)"
Write-Host "Client secret:           $($secret.SecretText)"
Write-Host "The client secret expires on $($secret.EndDateTime.ToString('yyyy-MM-dd')). It is shown only now."
{% endautoescape %}
