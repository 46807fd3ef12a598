{% autoescape off %}#!/usr/bin/env bash
# Onramp setup script (Azure CLI)
# For {{ about }}, connected by {{ provider }}.
#
# Creates the app registration
#   {{ app_name }}
# in your Microsoft 365 tenant with exactly the permissions Onramp needs, grants admin consent,
# assigns the directory role, adds a client secret valid for {{ secret_days }} days and prints the
# three values to enter in the invitation's Use App Registration form. Running it again reuses the app of that name and adds only what is
# missing (and a new client secret).
#
# Needs bash and the Azure CLI (Azure Cloud Shell has both). Sign in as a Global Administrator,
# or as a Privileged Role Administrator who is also an Application Administrator.
set -euo pipefail

APP_NAME={{ app_name }}
GRAPH_APP_ID='{{ graph_app_id }}'
GRAPH='https://graph.microsoft.com/v1.0'
# Microsoft Graph application permissions: name and app role id as Microsoft publishes them
APP_ROLES=(
{% for name, id in app_roles %}  '{{ name }}={{ id }}'
{% endfor %})
# Microsoft Entra directory roles: name and role template id
DIRECTORY_ROLES=(
{% for name, id in directory_roles %}  '{{ name }}={{ id }}'
{% endfor %})
SECRET_DAYS={{ secret_days }}

retry() {
  # A new application or service principal takes a few seconds to reach every replica.
  local attempt=1
  until "$@"; do
    if [ "$attempt" -ge 12 ]; then return 1; fi
    attempt=$((attempt + 1))
    sleep 10
  done
}

az login{% if tenant_id %} --tenant '{{ tenant_id }}'{% endif %} --allow-no-subscriptions --output none
TENANT_ID=$(az account show --query tenantId --output tsv)

ACCESS_FILE=$(mktemp)
trap 'rm -f "$ACCESS_FILE"' EXIT
{
  printf '[{"resourceAppId": "%s", "resourceAccess": [' "$GRAPH_APP_ID"
  separator=''
  for entry in "${APP_ROLES[@]}"; do
    printf '%s{"id": "%s", "type": "Role"}' "$separator" "${entry#*=}"
    separator=', '
  done
  printf ']}]\n'
} > "$ACCESS_FILE"

QUOTE="'"
NAME_FILTER="displayName eq '${APP_NAME//$QUOTE/$QUOTE$QUOTE}'"
APP_ID=$(az ad app list --filter "$NAME_FILTER" --query '[0].appId' --output tsv)
if [ -n "$APP_ID" ]; then
  echo "Using the existing application $APP_NAME ($APP_ID)."
  az ad app update --id "$APP_ID" --required-resource-accesses "@$ACCESS_FILE"
else
  APP_ID=$(az ad app create --display-name "$APP_NAME" --sign-in-audience AzureADMyOrg \
    --required-resource-accesses "@$ACCESS_FILE" --query appId --output tsv)
  echo "Created the application $APP_NAME ($APP_ID)."
fi

SP_ID=$(az ad sp list --filter "appId eq '$APP_ID'" --query '[0].id' --output tsv)
if [ -z "$SP_ID" ]; then
  SP_ID=$(retry az ad sp create --id "$APP_ID" --query id --output tsv)
fi
GRAPH_SP_ID=$(az ad sp show --id "$GRAPH_APP_ID" --query id --output tsv)

# Admin consent: one app role assignment per permission.
GRANTED=$(retry az rest --method GET --uri "$GRAPH/servicePrincipals/$SP_ID/appRoleAssignments" \
  --query "value[?resourceId=='$GRAPH_SP_ID'].appRoleId" --output tsv)
for entry in "${APP_ROLES[@]}"; do
  name=${entry%%=*}
  id=${entry#*=}
  if ! grep -qx "$id" <<< "$GRANTED"; then
    retry az rest --method POST --uri "$GRAPH/servicePrincipals/$GRAPH_SP_ID/appRoleAssignedTo" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\": \"$SP_ID\", \"resourceId\": \"$GRAPH_SP_ID\", \"appRoleId\": \"$id\"}" \
      --output none
    echo "Granted $name."
  fi
done

# The directory role(s), tenant-wide.
HELD=$(az rest --method GET \
  --uri "$GRAPH/roleManagement/directory/roleAssignments?\$filter=principalId%20eq%20'$SP_ID'" \
  --query 'value[].roleDefinitionId' --output tsv)
for entry in "${DIRECTORY_ROLES[@]}"; do
  name=${entry%%=*}
  id=${entry#*=}
  if ! grep -qx "$id" <<< "$HELD"; then
    retry az rest --method POST --uri "$GRAPH/roleManagement/directory/roleAssignments" \
      --headers 'Content-Type=application/json' \
      --body "{\"principalId\": \"$SP_ID\", \"roleDefinitionId\": \"$id\", \"directoryScopeId\": \"/\"}" \
      --output none
    echo "Assigned $name."
  fi
done

END_DATE=$(date -u -d "+$SECRET_DAYS days" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null \
  || date -u -v+"$SECRET_DAYS"d +%Y-%m-%dT%H:%M:%SZ)
SECRET=$(az ad app credential reset --id "$APP_ID" --append --display-name {{ secret_name }} \
  --end-date "$END_DATE" --query password --output tsv)

echo
echo 'Enter these values in the invitation (Use App Registration):'
echo "Directory (tenant) ID:   $TENANT_ID"
echo "Application (client) ID: $APP_ID"
echo "Client secret:           $SECRET"
echo "The client secret expires on ${END_DATE%%T*}. It is shown only now."
{% endautoescape %}
