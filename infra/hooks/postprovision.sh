#!/bin/sh
# azd postprovision: make sure Key Vault holds the approval signing keys (WARDEN_APPROVAL_KEYS).
# A key is 32 random bytes, base64url. The secret is a comma-separated list, newest first: the app
# signs with the first and accepts every one (rotation: infra/onboard.sh rotate-approval-key).
# The key goes from a 0600 temp file to Key Vault; it is never printed, logged or put in a template.
set -eu

vault="${AZURE_KEY_VAULT_NAME:?AZURE_KEY_VAULT_NAME is not set; run azd provision first}"
app="${AZURE_FUNCTION_APP_NAME:-}"
rg="${AZURE_RESOURCE_GROUP:-}"
secret=warden-approval-keys

# The Key Vault Secrets Officer assignment from this provision can take a few minutes to apply.
attempt=0
until out=$(az keyvault secret list --vault-name "$vault" --query "[?name=='$secret'].name" -o tsv 2>&1); do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 20 ]; then
    echo "postprovision: cannot list secrets in $vault: $out" >&2
    exit 1
  fi
  echo "postprovision: waiting for Key Vault access ($attempt/20)"
  sleep 15
done

if [ "$out" = "$secret" ]; then
  echo "postprovision: $secret exists in $vault"
  exit 0
fi

umask 077
file=$(mktemp)
trap 'rm -f "$file"' EXIT
node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))" >"$file"
az keyvault secret set --vault-name "$vault" --name "$secret" --file "$file" --encoding utf-8 \
  --content-type text/plain --output none
echo "postprovision: created $secret in $vault"

# Key Vault references resolve at start: restart so the app picks the new secret up.
if [ -n "$app" ] && [ -n "$rg" ]; then
  az functionapp restart --name "$app" --resource-group "$rg" --output none || true
fi
