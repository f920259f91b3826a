#!/usr/bin/env bash
# Seed a local AWS API stand-in (moto_server) with what a real account already
# has before disaster strikes, so the runbooks in runbooks/ can run unchanged
# against it:
#
#   - per environment (prod, staging): the EKS cluster and node IAM roles;
#     in the primary region the live cluster, and the database with a nightly
#     snapshot and its endpoint in SSM; in each standby region a
#     pre-provisioned "pilot light" network (VPC, private subnets tagged for
#     the cluster, an RDS subnet group and security group) with nothing
#     running; the public hosted zone with the Route 53 failover pair
#     (PRIMARY with a health check, SECONDARY) and the regional names they
#     point at;
#   - the fraud-scoring SageMaker endpoint (model v42 live, v41 kept warm at
#     weight 0), its two endpoint configs, the serving-mode flag in SSM and the
#     error-rate alarm used by runbooks/model-rollback.yaml.
#
# The runbooks find everything by name or tag, so nothing printed here has to
# be copied into them; the summary at the end is for humans and tests.
#
# Usage:
#   moto_server -H 127.0.0.1 -p 5000 &
#   AWS_ENDPOINT_URL=http://127.0.0.1:5000 sandbox/seed-aws.sh
#
# Safe to run twice: every resource is looked up before it is created.
# Refuses to run without AWS_ENDPOINT_URL, so it can never touch a real account.
set -euo pipefail

if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
  echo "seed-aws.sh: AWS_ENDPOINT_URL is not set; refusing to seed what may be a real AWS account" >&2
  exit 2
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-eu-west-1}"
export AWS_PAGER=""

PRIMARY_REGION="${PRIMARY_REGION:-eu-west-1}"
STANDBY_REGIONS="${STANDBY_REGIONS:-eu-central-1 eu-north-1}"
# Environments to seed; names, zones and databases per environment are in seed_environment.
ENVIRONMENTS="${ENVIRONMENTS:-prod staging}"
# SEED_ML=0 leaves out the SageMaker endpoint of runbooks/model-rollback.yaml.

log() { printf 'seed: %s\n' "$*" >&2; }

# --- IAM -------------------------------------------------------------------

ensure_role() { # NAME SERVICE -> prints ARN
  local name=$1 service=$2 arn
  if arn=$(aws iam get-role --role-name "$name" --query Role.Arn --output text 2>/dev/null); then
    printf '%s\n' "$arn"
    return
  fi
  log "creating IAM role $name (trusts $service)"
  aws iam create-role --role-name "$name" \
    --assume-role-policy-document "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"$service\"},\"Action\":\"sts:AssumeRole\"}]}" \
    --tags Key=managed-by,Value=terraform \
    --query Role.Arn --output text
}

# --- Network ---------------------------------------------------------------

ensure_vpc() { # REGION NAME CIDR -> prints VPC id
  local region=$1 name=$2 cidr=$3 id
  id=$(aws ec2 describe-vpcs --region "$region" --filters "Name=tag:Name,Values=$name" \
        --query 'Vpcs[0].VpcId' --output text)
  if [[ "$id" == None || -z "$id" ]]; then
    log "creating VPC $name in $region"
    id=$(aws ec2 create-vpc --region "$region" --cidr-block "$cidr" \
          --tag-specifications "ResourceType=vpc,Tags=[{Key=Name,Value=$name}]" \
          --query Vpc.VpcId --output text)
  fi
  printf '%s\n' "$id"
}

ensure_subnet() { # REGION VPC NAME CIDR AZ CLUSTER -> prints subnet id
  local region=$1 vpc=$2 name=$3 cidr=$4 az=$5 cluster=$6 id
  id=$(aws ec2 describe-subnets --region "$region" \
        --filters "Name=vpc-id,Values=$vpc" "Name=tag:Name,Values=$name" \
        --query 'Subnets[0].SubnetId' --output text)
  if [[ "$id" == None || -z "$id" ]]; then
    log "creating subnet $name ($az) in $region"
    id=$(aws ec2 create-subnet --region "$region" --vpc-id "$vpc" --cidr-block "$cidr" \
          --availability-zone "$az" --query Subnet.SubnetId --output text)
  fi
  # Tags EKS and the AWS load balancer controller look for; the runbook
  # finds the subnets by these too.
  aws ec2 create-tags --region "$region" --resources "$id" --tags \
    "Key=Name,Value=$name" \
    "Key=kubernetes.io/cluster/$cluster,Value=shared" \
    "Key=kubernetes.io/role/internal-elb,Value=1"
  printf '%s\n' "$id"
}

ensure_security_group() { # REGION VPC NAME DESCRIPTION -> prints group id
  local region=$1 vpc=$2 name=$3 description=$4 id
  id=$(aws ec2 describe-security-groups --region "$region" \
        --filters "Name=vpc-id,Values=$vpc" "Name=group-name,Values=$name" \
        --query 'SecurityGroups[0].GroupId' --output text)
  if [[ "$id" == None || -z "$id" ]]; then
    log "creating security group $name in $region"
    id=$(aws ec2 create-security-group --region "$region" --vpc-id "$vpc" \
          --group-name "$name" --description "$description" --query GroupId --output text)
    aws ec2 authorize-security-group-ingress --region "$region" --group-id "$id" \
      --protocol tcp --port 5432 --cidr "$(aws ec2 describe-vpcs --region "$region" \
        --vpc-ids "$vpc" --query 'Vpcs[0].CidrBlock' --output text)" >/dev/null
  fi
  printf '%s\n' "$id"
}

ensure_db_subnet_group() { # REGION NAME SUBNET...
  local region=$1 name=$2; shift 2
  if aws rds describe-db-subnet-groups --region "$region" --db-subnet-group-name "$name" >/dev/null 2>&1; then
    return
  fi
  log "creating DB subnet group $name in $region"
  aws rds create-db-subnet-group --region "$region" --db-subnet-group-name "$name" \
    --db-subnet-group-description "Standby subnets for $name (pilot light)" \
    --subnet-ids "$@" >/dev/null
}

# --- EKS -------------------------------------------------------------------

ensure_cluster() { # REGION NAME ROLE_ARN SUBNET...
  local region=$1 name=$2 role=$3; shift 3
  if aws eks describe-cluster --region "$region" --name "$name" >/dev/null 2>&1; then
    return
  fi
  log "creating EKS cluster $name in $region"
  local ids
  ids=$(IFS=,; echo "$*")
  aws eks create-cluster --region "$region" --name "$name" --kubernetes-version 1.30 \
    --role-arn "$role" --resources-vpc-config "subnetIds=$ids,endpointPrivateAccess=true,endpointPublicAccess=false" \
    --tags team=platform >/dev/null
}

# --- RDS -------------------------------------------------------------------

ensure_db_instance() { # REGION ID -> prints endpoint address
  local region=$1 id=$2
  if ! aws rds describe-db-instances --region "$region" --db-instance-identifier "$id" >/dev/null 2>&1; then
    log "creating RDS instance $id in $region"
    aws rds create-db-instance --region "$region" --db-instance-identifier "$id" \
      --engine postgres --engine-version 16.4 --db-instance-class db.r6g.xlarge \
      --allocated-storage 200 --storage-type gp3 --storage-encrypted \
      --master-username app --master-user-password "seed-not-a-secret-$id" \
      --backup-retention-period 7 --multi-az \
      --tags Key=team,Value=platform >/dev/null
    # moto takes an automated snapshot ("rds:ID-DATE") at creation. Its
    # CopyDBSnapshot cannot resolve ARNs of automated snapshots (the colon in
    # the identifier), so make sure the nightly manual snapshot below is the
    # newest one, which is what database-restore picks.
    sleep 1
  fi
  aws rds describe-db-instances --region "$region" --db-instance-identifier "$id" \
    --query 'DBInstances[0].Endpoint.Address' --output text
}

ensure_db_snapshot() { # REGION INSTANCE SNAPSHOT
  local region=$1 instance=$2 snapshot=$3
  if aws rds describe-db-snapshots --region "$region" --db-snapshot-identifier "$snapshot" >/dev/null 2>&1; then
    return
  fi
  log "creating RDS snapshot $snapshot of $instance in $region"
  aws rds create-db-snapshot --region "$region" --db-instance-identifier "$instance" \
    --db-snapshot-identifier "$snapshot" --tags Key=schedule,Value=nightly >/dev/null
}

# --- Route 53 --------------------------------------------------------------

ensure_public_zone() { # ZONE -> prints zone id (without /hostedzone/)
  local zone=${1%.}. id
  id=$(aws route53 list-hosted-zones-by-name --dns-name "$zone" \
        --query "HostedZones[?Name=='$zone' && !(Config.PrivateZone)].Id | [0]" --output text)
  if [[ "$id" == None || -z "$id" ]]; then
    log "creating public hosted zone $zone"
    id=$(aws route53 create-hosted-zone --name "$zone" --caller-reference "seed-$zone" \
          --hosted-zone-config Comment="public zone for $zone" \
          --query HostedZone.Id --output text)
  fi
  printf '%s\n' "${id#/hostedzone/}"
}

ensure_health_check() { # FQDN -> prints health check id
  local fqdn=$1 id
  # moto does not deduplicate by caller reference as Route 53 does, so look first.
  id=$(aws route53 list-health-checks \
        --query "HealthChecks[?HealthCheckConfig.FullyQualifiedDomainName=='$fqdn'].Id | [0]" --output text)
  if [[ "$id" == None || -z "$id" ]]; then
    log "creating Route 53 health check for $fqdn"
    id=$(aws route53 create-health-check --caller-reference "seed-hc-$fqdn" \
          --health-check-config "Type=HTTPS,FullyQualifiedDomainName=$fqdn,Port=443,ResourcePath=/healthz,RequestInterval=10,FailureThreshold=3" \
          --query HealthCheck.Id --output text)
  fi
  printf '%s\n' "$id"
}

upsert_records() { # ZONE_ID JSON_CHANGES
  aws route53 change-resource-record-sets --hosted-zone-id "$1" \
    --change-batch "{\"Comment\":\"seed\",\"Changes\":[$2]}" >/dev/null
}

cname() { # NAME VALUE -> JSON change
  printf '{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s","Type":"CNAME","TTL":300,"ResourceRecords":[{"Value":"%s"}]}}' "$1" "$2"
}

# --- One environment -------------------------------------------------------

seed_environment() { # NAME
  local env=$1 cluster db zone record
  case $env in
    prod)    cluster=prod-eu    db=prod-db    zone=example.com         record=api.example.com ;;
    staging) cluster=staging-eu db=staging-db zone=staging.example.com record=api.staging.example.com ;;
    *) echo "seed-aws.sh: unknown environment $env" >&2; exit 2 ;;
  esac

  local cluster_role node_role
  cluster_role=$(ensure_role "$cluster-cluster-role" eks.amazonaws.com)
  node_role=$(ensure_role "$cluster-node-role" ec2.amazonaws.com)
  printf '%s cluster_role_arn %s\n' "$env" "$cluster_role"
  printf '%s node_role_arn %s\n' "$env" "$node_role"

  # Primary region: the live database and its nightly snapshot.
  local db_endpoint snapshot
  db_endpoint=$(ensure_db_instance "$PRIMARY_REGION" "$db")
  snapshot="$db-nightly-$(date -u +%Y%m%d)"
  ensure_db_snapshot "$PRIMARY_REGION" "$db" "$snapshot"
  aws ssm put-parameter --region "$PRIMARY_REGION" --name "/$cluster/database/endpoint" \
    --type String --value "$db_endpoint" --overwrite >/dev/null
  printf '%s primary_db %s %s\n' "$env" "$PRIMARY_REGION" "$db_endpoint"
  printf '%s primary_snapshot %s\n' "$env" "$snapshot"

  # Primary region: the live cluster on its own network.
  local region octet vpc subnets az i
  octet=$([[ $env == prod ]] && echo 10 || echo 30)
  vpc=$(ensure_vpc "$PRIMARY_REGION" "$cluster" "10.$octet.0.0/16")
  subnets=()
  i=0
  for az in a b c; do
    subnets+=("$(ensure_subnet "$PRIMARY_REGION" "$vpc" "$cluster-private-$PRIMARY_REGION$az" \
                 "10.$octet.$((i * 32)).0/19" "$PRIMARY_REGION$az" "$cluster")")
    i=$((i + 1))
  done
  ensure_cluster "$PRIMARY_REGION" "$cluster" "$cluster_role" "${subnets[@]}"
  printf '%s primary_cluster %s %s\n' "$env" "$PRIMARY_REGION" "$cluster"

  # Standby regions: pilot-light network, nothing running.
  octet=$([[ $env == prod ]] && echo 20 || echo 40)
  for region in $STANDBY_REGIONS; do
    vpc=$(ensure_vpc "$region" "$cluster-standby" "10.$octet.0.0/16")
    subnets=()
    i=0
    for az in a b c; do
      subnets+=("$(ensure_subnet "$region" "$vpc" "$cluster-private-$region$az" \
                   "10.$octet.$((i * 32)).0/19" "$region$az" "$cluster")")
      i=$((i + 1))
    done
    ensure_db_subnet_group "$region" "$db-standby" "${subnets[@]}"
    printf '%s standby_subnets %s %s\n' "$env" "$region" "${subnets[*]}"
    printf '%s standby_db_security_group %s %s\n' "$env" "$region" \
      "$(ensure_security_group "$region" "$vpc" "$db-standby" "PostgreSQL from the $cluster standby VPC")"
    octet=$((octet + 1))
  done

  # DNS: regional names and the failover pair on the public name.
  local zone_id hc primary_name first_standby
  zone_id=$(ensure_public_zone "$zone")
  primary_name="$PRIMARY_REGION.$record"
  hc=$(ensure_health_check "$primary_name")
  first_standby=${STANDBY_REGIONS%% *}
  local changes
  changes=$(cname "$primary_name." "$cluster-ingress.$PRIMARY_REGION.elb.amazonaws.com")
  for region in $STANDBY_REGIONS; do
    changes+=",$(cname "$region.$record." "$cluster-ingress.$region.elb.amazonaws.com")"
  done
  # Only create the failover pair when missing: a re-seed must not undo a
  # failover that a runbook has just performed.
  local existing
  existing=$(aws route53 list-resource-record-sets --hosted-zone-id "$zone_id" \
              --query "ResourceRecordSets[?Name=='$record.' && Failover=='PRIMARY'] | length(@)" --output text)
  if [[ "$existing" == 0 ]]; then
    log "creating failover records for $record"
    changes+=",$(printf '{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s.","Type":"CNAME","SetIdentifier":"primary","Failover":"PRIMARY","TTL":60,"HealthCheckId":"%s","ResourceRecords":[{"Value":"%s"}]}}' "$record" "$hc" "$primary_name")"
    changes+=",$(printf '{"Action":"UPSERT","ResourceRecordSet":{"Name":"%s.","Type":"CNAME","SetIdentifier":"secondary","Failover":"SECONDARY","TTL":60,"ResourceRecords":[{"Value":"%s"}]}}' "$record" "$first_standby.$record")"
  fi
  upsert_records "$zone_id" "$changes"
  printf '%s hosted_zone %s %s\n' "$env" "$zone" "$zone_id"
  printf '%s health_check %s %s\n' "$env" "$primary_name" "$hc"
}

# --- ML: fraud-scoring on SageMaker ---------------------------------------

seed_fraud_scoring() {
  local region=$PRIMARY_REGION role v
  role=$(ensure_role fraud-scoring-sagemaker sagemaker.amazonaws.com)
  for v in v41 v42; do
    if ! aws sagemaker describe-model --region "$region" --model-name "fraud-scoring-$v" >/dev/null 2>&1; then
      log "creating SageMaker model fraud-scoring-$v"
      aws sagemaker create-model --region "$region" --model-name "fraud-scoring-$v" \
        --execution-role-arn "$role" \
        --primary-container "Image=123456789012.dkr.ecr.$region.amazonaws.com/fraud-scoring:$v,ModelDataUrl=s3://acme-models/fraud-scoring/$v/model.tar.gz" \
        >/dev/null
    fi
  done
  # v41 alone: what was live before the v42 release.
  if ! aws sagemaker describe-endpoint-config --region "$region" --endpoint-config-name fraud-scoring-v41 >/dev/null 2>&1; then
    log "creating endpoint config fraud-scoring-v41"
    aws sagemaker create-endpoint-config --region "$region" --endpoint-config-name fraud-scoring-v41 \
      --production-variants VariantName=v41,ModelName=fraud-scoring-v41,InitialInstanceCount=4,InstanceType=ml.m5.xlarge,InitialVariantWeight=1 \
      >/dev/null
  fi
  # v42 live, v41 kept warm on one instance at weight 0 for instant rollback.
  if ! aws sagemaker describe-endpoint-config --region "$region" --endpoint-config-name fraud-scoring-v42 >/dev/null 2>&1; then
    log "creating endpoint config fraud-scoring-v42"
    aws sagemaker create-endpoint-config --region "$region" --endpoint-config-name fraud-scoring-v42 \
      --production-variants \
        VariantName=v42,ModelName=fraud-scoring-v42,InitialInstanceCount=4,InstanceType=ml.m5.xlarge,InitialVariantWeight=1 \
        VariantName=v41,ModelName=fraud-scoring-v41,InitialInstanceCount=1,InstanceType=ml.m5.xlarge,InitialVariantWeight=0 \
      >/dev/null
  fi
  if ! aws sagemaker describe-endpoint --region "$region" --endpoint-name fraud-scoring >/dev/null 2>&1; then
    log "creating endpoint fraud-scoring"
    aws sagemaker create-endpoint --region "$region" --endpoint-name fraud-scoring \
      --endpoint-config-name fraud-scoring-v42 >/dev/null
  fi
  if ! aws ssm get-parameter --region "$region" --name /fraud-scoring/mode >/dev/null 2>&1; then
    aws ssm put-parameter --region "$region" --name /fraud-scoring/mode --type String --value model \
      --description "fraud-scoring serving mode: model | heuristic" >/dev/null
  fi
  aws cloudwatch put-metric-alarm --region "$region" --alarm-name fraud-scoring-error-rate \
    --alarm-description "fraud-scoring: more than 2% of scoring requests fail or fall back" \
    --namespace Acme/FraudScoring --metric-name ErrorRate --dimensions Name=Service,Value=fraud-scoring \
    --statistic Average --period 60 --evaluation-periods 5 --datapoints-to-alarm 3 \
    --threshold 2 --comparison-operator GreaterThanThreshold --treat-missing-data notBreaching
  printf 'ml sagemaker_endpoint %s fraud-scoring %s\n' "$region" \
    "$(aws sagemaker describe-endpoint --region "$region" --endpoint-name fraud-scoring \
         --query '[EndpointConfigName, EndpointStatus]' --output text | tr '\t' ' ')"
}

for env in $ENVIRONMENTS; do
  seed_environment "$env"
done
[[ "${SEED_ML:-1}" == 1 ]] && seed_fraud_scoring
log "done ($AWS_ENDPOINT_URL)"
