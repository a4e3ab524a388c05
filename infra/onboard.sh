#!/bin/sh
# Onboarding for AKS Upgrade Warden (docs/deploy.md, "Onboard clusters"). Run from the repository
# root, signed in with `az login` and inside the azd environment (`azd env select <name>`).
#
#   infra/onboard.sh cluster <cluster-resource-id>...   Event Grid topic + subscription for each cluster
#   infra/onboard.sh subscription <subscription-id>...  add fleet subscriptions (Warden's roles there, the AKS
#                                                       advance-notice and Fleet Manager gate topics)
#   infra/onboard.sh management-group <mg-id>           the fleet is a management group: Warden's roles there
#   infra/onboard.sh network <subscription-id>...       node subnets' virtual networks live there (a hub): the
#                                                       pre-flight role there, to read subnets and their usage
#   infra/onboard.sh gate <cluster-resource-id>...      hand upgrades to Warden: AKS auto-upgrade off
#   infra/onboard.sh teams <workflows.json>             Teams Workflows URLs ({"name": "https://…"}) to Key Vault
#   infra/onboard.sh webhook <url>                      outbound webhook: the URL, and a new signing secret in Key Vault
#   infra/onboard.sh policy <policy.yaml|policy.json>   the policy document to Key Vault (WARDEN_POLICY)
#   infra/onboard.sh rotate-approval-key                new signing key first, the previous one kept
#   infra/onboard.sh auth                               sign-in: the app registration (WARDEN_AUTH_CLIENT_ID) gets
#                                                       Warden's redirect URI and trusts the app identity (no secret)
#
# `cluster`, `subscription` and `network` append to the azd environment (WARDEN_AKS_CLUSTER_IDS,
# WARDEN_FLEET_SUBSCRIPTION_IDS, WARDEN_NETWORK_SUBSCRIPTION_IDS) and run `azd provision`: the Bicep
# stays the one source of truth.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

env_value() {
  azd env get-value "$1" 2>/dev/null || true
}

append_list() { # name values...
  name=$1
  shift
  current=$(env_value "$name")
  for v in "$@"; do
    found=no
    for c in $(echo "$current" | tr ',' ' '); do
      [ "${c%%|*}" = "${v%%|*}" ] && found=yes
    done
    if [ "$found" = yes ]; then
      echo "already onboarded: ${v%%|*}"
    else
      current=${current:+$current,}$v
    fi
  done
  azd env set "$name" "$current"
}

# Warden's subscriptions dead-letter with its Event Grid identity, so a topic Warden did not create
# must carry that identity too: added beside the identities the topic has (ARM PATCH of the topic).
add_eventgrid_identity() { # topic-resource-id
  uai=$(env_value WARDEN_EVENTGRID_IDENTITY_ID)
  [ -n "$uai" ] || {
    echo "run azd up first (WARDEN_EVENTGRID_IDENTITY_ID is unset)" >&2
    exit 1
  }
  body=$(mktemp)
  az resource show --ids "$1" --query identity -o json |
    node -e '
      const uai = process.argv[1];
      let cur = {};
      try { cur = JSON.parse(require("node:fs").readFileSync(0, "utf8")) ?? {}; } catch {}
      const system = /SystemAssigned/i.test(cur.type ?? "");
      const users = { ...(cur.userAssignedIdentities ?? {}) };
      for (const k of Object.keys(users)) users[k] = {};
      users[uai] = {};
      const type = system ? "SystemAssigned, UserAssigned" : "UserAssigned";
      process.stdout.write(JSON.stringify({ identity: { type, userAssignedIdentities: users } }));
    ' "$uai" >"$body"
  az rest --method patch --url "$1?api-version=2022-06-15" --body "@$body" --output none
  rm -f "$body"
}

# Puts a file's content into a Key Vault secret (never on a command line), sets the azd flag that
# makes the app setting a Key Vault reference, and provisions.
secret_from_file() { # secret-name file flag-variable
  vault=$(env_value AZURE_KEY_VAULT_NAME)
  [ -n "$vault" ] || {
    echo "run azd up first (AZURE_KEY_VAULT_NAME is unset)" >&2
    exit 1
  }
  [ -s "$2" ] || {
    echo "$2 is missing or empty" >&2
    exit 2
  }
  az keyvault secret set --vault-name "$vault" --name "$1" --file "$2" --encoding utf-8 \
    --content-type text/plain --output none
  echo "stored $1 in $vault"
  azd env set "$3" true
  azd provision --no-prompt
}

assign() { # principal-id role scope
  az role assignment create --assignee-object-id "$1" --assignee-principal-type ServicePrincipal \
    --role "$2" --scope "$3" --output none
}

# The single-quoted strings of one permission list (actions or dataActions) of a role's Bicep file,
# as JSON strings separated by commas. Comment lines are skipped.
permissions() { # bicep-file actions|dataActions
  awk -v key="$2:" -v q="'" '
    $1 == key { on = 1; next }
    on && /^[[:space:]]*\]/ { on = 0 }
    on && /^[[:space:]]*\/\// { next }
    on && index($0, q) { s = $0; sub("^[^" q "]*" q, "", s); sub(q ".*$", "", s); out = out (out ? "," : "") "\"" s "\"" }
    END { print out }
  ' "$1"
}

# Creates or updates a custom role at a management group with the permissions of a role's Bicep file,
# and assigns it to the principal there.
mg_role() { # bicep-file role-name scope principal-id
  definition=$(mktemp)
  cat >"$definition" <<JSON
{
  "Name": "$2",
  "IsCustom": true,
  "Description": "AKS Upgrade Warden over $3 (infra/app/$(basename "$1")).",
  "Actions": [$(permissions "$1" actions)],
  "NotActions": [],
  "DataActions": [$(permissions "$1" dataActions)],
  "NotDataActions": [],
  "AssignableScopes": ["$3"]
}
JSON
  if [ -z "$(az role definition list --name "$2" --scope "$3" --query '[0].name' -o tsv)" ]; then
    az role definition create --role-definition "@$definition" --output none
  else
    az role definition update --role-definition "@$definition" --output none
  fi
  rm -f "$definition"
  assign "$4" "$2" "$3"
}

check_cluster_id() {
  echo "$1" | grep -Eiq '^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.containerservice/managedclusters/[^/]+$' ||
    {
      echo "not an AKS cluster resource id: $1" >&2
      exit 2
    }
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
cluster)
  [ $# -gt 0 ] || {
    echo "usage: $0 cluster <cluster-resource-id>..." >&2
    exit 2
  }
  entries=""
  for id in "$@"; do
    check_cluster_id "$id"
    tags=$(az resource show --ids "$id" --query tags -o json)
    for t in environment owner-email; do
      echo "$tags" | grep -q "\"$t\"" || echo "warning: $id has no '$t' tag (docs/deploy.md, Tags)"
    done
    # An AKS cluster can have one system topic: reuse one that exists (written clusterId|topicId).
    sub=$(echo "$id" | cut -d/ -f3)
    name=$(echo "$id" | awk -F/ '{print $NF}')
    found=$(az eventgrid system-topic list --subscription "$sub" --query "[].[source, name, id]" -o tsv |
      awk -v id="$id" 'tolower($1) == tolower(id) { print $2 " " $3; exit }')
    topic=${found%% *}
    if [ -n "$topic" ] && [ "$topic" != "evgt-aks-$name" ]; then
      echo "$id has the system topic $topic already: Warden subscribes to it"
      add_eventgrid_identity "${found#* }"
      entries="$entries $id|${found#* }"
    else
      entries="$entries $id"
    fi
  done
  # shellcheck disable=SC2086 # one word per entry
  append_list WARDEN_AKS_CLUSTER_IDS $entries
  azd provision --no-prompt
  ;;
subscription)
  [ $# -gt 0 ] || {
    echo "usage: $0 subscription <subscription-id>..." >&2
    exit 2
  }
  if [ -z "$(env_value WARDEN_FLEET_SUBSCRIPTION_IDS)" ]; then
    # The default fleet is Warden's own subscription: keep it when the list is first written.
    append_list WARDEN_FLEET_SUBSCRIPTION_IDS "$(az account show --query id -o tsv)"
  fi
  append_list WARDEN_FLEET_SUBSCRIPTION_IDS "$@"
  azd provision --no-prompt
  ;;
network)
  [ $# -gt 0 ] || {
    echo "usage: $0 network <subscription-id>..." >&2
    exit 2
  }
  for id in "$@"; do
    echo "$id" | grep -Eiq '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' || {
      echo "not a subscription id: $id" >&2
      exit 2
    }
  done
  append_list WARDEN_NETWORK_SUBSCRIPTION_IDS "$@"
  azd provision --no-prompt
  ;;
management-group)
  mg=${1:?usage: $0 management-group <management-group-id>}
  scope="/providers/Microsoft.Management/managementGroups/$mg"
  principal=$(env_value WARDEN_IDENTITY_PRINCIPAL_ID)
  envname=$(env_value AZURE_ENV_NAME)
  [ -n "$principal" ] || {
    echo "run azd provision first (WARDEN_IDENTITY_PRINCIPAL_ID is unset)" >&2
    exit 1
  }
  # Reader: Resource Graph inventory over the management group and every read.
  assign "$principal" Reader "$scope"
  # Pre-flight: the user kubeconfig (API server URL and CA) and Kubernetes reads (pods, PDBs, events).
  assign "$principal" "Azure Kubernetes Service Cluster User Role" "$scope"
  assign "$principal" "Azure Kubernetes Service RBAC Reader" "$scope"
  # The custom roles, with the same actions as their Bicep files (read from them, so they cannot drift).
  mg_role "$here/app/aks-upgrader-role.bicep" "Warden AKS Upgrader MG ($envname)" "$scope" "$principal"
  mg_role "$here/app/preflight-role.bicep" "Warden Pre-flight Reader MG ($envname)" "$scope" "$principal"
  mg_role "$here/app/fleet-gates-role.bicep" "Warden Fleet Gate Approver MG ($envname)" "$scope" "$principal"
  azd env set WARDEN_FLEET_MANAGEMENT_GROUP "$mg"
  echo "Event Grid: the AKS advance-notice and Fleet gate topics are per subscription; onboard each with '$0 subscription'."
  azd provision --no-prompt
  ;;
gate)
  [ $# -gt 0 ] || {
    echo "usage: $0 gate <cluster-resource-id>..." >&2
    exit 2
  }
  for id in "$@"; do
    check_cluster_id "$id"
    # With AKS auto-upgrade on, AKS upgrades the cluster itself and no approval can stop it.
    az aks update --ids "$id" --auto-upgrade-channel none --output none
    echo "auto-upgrade off: $id"
  done
  ;;
teams)
  file=${1:?usage: $0 teams <workflows.json>}
  node -e '
    const v = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
    for (const [k, u] of Object.entries(v)) if (!/^https?:\/\//.test(String(u))) throw new Error(k + ": not a URL");
  ' "$file" || {
    echo "$file must be a JSON object of workflow name to URL" >&2
    exit 2
  }
  secret_from_file warden-teams-workflows "$file" WARDEN_TEAMS_IN_VAULT
  ;;
webhook)
  url=${1:?usage: $0 webhook <url>}
  echo "$url" | grep -Eq '^https://' || {
    echo "the webhook URL must be https" >&2
    exit 2
  }
  secret=$(mktemp)
  trap 'rm -f "$secret"' EXIT
  chmod 600 "$secret"
  node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))" >"$secret"
  azd env set WARDEN_WEBHOOK_URL "$url"
  secret_from_file warden-webhook-secret "$secret" WARDEN_WEBHOOK_SECRET_IN_VAULT
  echo "give the receiver the secret: az keyvault secret show --vault-name $(env_value AZURE_KEY_VAULT_NAME) --name warden-webhook-secret --query value -o tsv"
  ;;
policy)
  file=${1:?usage: $0 policy <policy.yaml|policy.json>}
  secret_from_file warden-policy "$file" WARDEN_POLICY_IN_VAULT
  ;;
auth)
  client=$(env_value WARDEN_AUTH_CLIENT_ID)
  base=$(env_value SERVICE_WARDEN_BASE_URL)
  principal=$(env_value WARDEN_IDENTITY_PRINCIPAL_ID)
  tenant=$(env_value AZURE_TENANT_ID)
  [ -n "$client" ] || {
    echo "create the app registration first and azd env set WARDEN_AUTH_CLIENT_ID (docs/deploy.md, Sign-in)" >&2
    exit 1
  }
  [ -n "$base" ] && [ -n "$principal" ] && [ -n "$tenant" ] || {
    echo "run azd up first (SERVICE_WARDEN_BASE_URL, WARDEN_IDENTITY_PRINCIPAL_ID or AZURE_TENANT_ID is unset)" >&2
    exit 1
  }
  app=$(az ad app show --id "$client" --query id -o tsv)
  graph="https://graph.microsoft.com/v1.0/applications/$app"
  body=$(mktemp)
  trap 'rm -f "$body"' EXIT
  # Warden's redirect URI, its audience (api://<client id>), the app roles (infra/auth/app-roles.json),
  # the groups claim, and the user_impersonation scope (infra/auth/api.json); then the Azure CLI as a
  # client that needs no consent, so `az account get-access-token --scope api://<client id>/user_impersonation`
  # works (a scope must exist before a client is authorized for it: two requests).
  for step in 1 2; do
    node -e '
      const fs = require("node:fs");
      const [step, client, base, here] = process.argv.slice(1);
      const api = JSON.parse(fs.readFileSync(here + "/auth/api.json", "utf8")).api;
      const azureCli = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
      const scopes = api.oauth2PermissionScopes.map((s) => s.id);
      process.stdout.write(JSON.stringify(step === "1" ? {
        identifierUris: ["api://" + client],
        web: { redirectUris: [base + "/.auth/login/aad/callback"] },
        groupMembershipClaims: "SecurityGroup",
        appRoles: JSON.parse(fs.readFileSync(here + "/auth/app-roles.json", "utf8")),
        api,
      } : { api: { ...api, preAuthorizedApplications: [{ appId: azureCli, delegatedPermissionIds: scopes }] } }));
    ' "$step" "$client" "$base" "$here" >"$body"
    az rest --method patch --url "$graph" --headers Content-Type=application/json --body "@$body" --output none
  done
  # The app proves itself to Entra with the app identity's token instead of a client secret
  # (OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID in infra/app/function.bicep).
  if [ -z "$(az ad app federated-credential list --id "$client" --query "[?name=='warden-app-service-auth'].name" -o tsv)" ]; then
    cat >"$body" <<JSON
{
  "name": "warden-app-service-auth",
  "issuer": "https://login.microsoftonline.com/$tenant/v2.0",
  "subject": "$principal",
  "audiences": ["api://AzureADTokenExchange"],
  "description": "AKS Upgrade Warden's App Service Authentication, as its user-assigned identity"
}
JSON
    az ad app federated-credential create --id "$client" --parameters "@$body" --output none
  fi
  echo "sign-in ready at $base: give people the Warden.Viewer / Warden.Operator app roles (Enterprise applications), or set WARDEN_VIEWER_GROUPS / WARDEN_OPERATOR_GROUPS"
  ;;
rotate-approval-key)
  vault=$(env_value AZURE_KEY_VAULT_NAME)
  old=$(mktemp)
  new=$(mktemp)
  trap 'rm -f "$old" "$new"' EXIT
  chmod 600 "$old" "$new"
  az keyvault secret show --vault-name "$vault" --name warden-approval-keys --query value -o tsv >"$old"
  # Keep the newest previous key only: links signed before the rotation stay valid until they expire.
  node -e "
    const fs = require('node:fs');
    const prev = fs.readFileSync(process.argv[1], 'utf8').trim().split(',')[0];
    const key = require('node:crypto').randomBytes(32).toString('base64url');
    fs.writeFileSync(process.argv[2], prev ? key + ',' + prev : key);
  " "$old" "$new"
  az keyvault secret set --vault-name "$vault" --name warden-approval-keys --file "$new" --encoding utf-8 \
    --content-type text/plain --output none
  az functionapp restart --name "$(env_value AZURE_FUNCTION_APP_NAME)" \
    --resource-group "$(env_value AZURE_RESOURCE_GROUP)" --output none
  echo "rotated warden-approval-keys in $vault"
  ;;
*)
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  [ -z "$cmd" ] || exit 2
  ;;
esac
