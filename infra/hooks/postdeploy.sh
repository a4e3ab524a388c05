#!/bin/sh
# azd postdeploy: Event Grid validates an AzureFunction destination when the subscription is created,
# so the subscriptions can only exist once the code (and its aksEventGrid function) is deployed.
# The first `azd up` provisions without them; this turns them on and provisions once more.
set -eu

if [ "${WARDEN_EVENT_SUBSCRIPTIONS:-false}" = "true" ]; then
  exit 0
fi
echo "postdeploy: creating the Event Grid subscriptions to aksEventGrid"
azd env set WARDEN_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
