#!/usr/bin/env bash
# The sandbox CI's `deploy` builder: what the real pipeline checks before it
# deploys. With the AWS stand-in configured (AWS_ENDPOINT_URL in the worker's
# environment) and a cluster given, it requires the cluster to be ACTIVE in
# the region and the database endpoint to be published there, as the real
# pipeline would. Then it "deploys" for HOLD seconds and succeeds when
# OUTCOME is `success` (tests use that to make a build fail).
set -euo pipefail
echo "deploying to ${REGION:-?}"
if [[ -n "${AWS_ENDPOINT_URL:-}" && -n "${CLUSTER:-}" ]]; then
  status=$(aws eks describe-cluster --region "$REGION" --name "$CLUSTER" --query cluster.status --output text)
  echo "cluster $CLUSTER in $REGION is $status"
  [[ $status == ACTIVE ]] || { echo "cluster is not ACTIVE; nothing to deploy to" >&2; exit 1; }
  endpoint=$(aws ssm get-parameter --region "$REGION" --name "/$CLUSTER/database/endpoint" --query Parameter.Value --output text)
  echo "services will use the database at $endpoint"
fi
sleep "${HOLD:-1}"
if [[ "${OUTCOME:-success}" != success ]]; then
  echo "deploy failed: outcome=$OUTCOME" >&2
  exit 1
fi
echo "deployed"
