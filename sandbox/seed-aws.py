#!/usr/bin/env python3
"""Seed a local AWS API stand-in (moto_server) with what a real account already
has before disaster strikes, so the runbooks in runbooks/ can run unchanged
against it:

  - per environment (prod, staging): the EKS cluster and node IAM roles;
    in the primary region the live cluster, and the database with a nightly
    snapshot and its endpoint in SSM; in each standby region a
    pre-provisioned "pilot light" network (VPC, private subnets tagged for
    the cluster, an RDS subnet group and security group) with nothing
    running; the public hosted zone with the Route 53 failover pair
    (PRIMARY with a health check, SECONDARY) and the regional names they
    point at;
  - the fraud-scoring SageMaker endpoint (model v42 live, v41 kept warm at
    weight 0), its two endpoint configs, the serving-mode flag in SSM and the
    error-rate alarm used by runbooks/model-rollback.yaml.

The runbooks find everything by name or tag, so nothing printed here has to
be copied into them; the summary on stdout is for humans and tests.

Usage (with boto3, e.g. the python of the sandbox's tools):
  moto_server -H 127.0.0.1 -p 5000 &
  AWS_ENDPOINT_URL=http://127.0.0.1:5000 python3 sandbox/seed-aws.py

Variables: ENVIRONMENTS (default "prod staging"), SEED_ML (default 1; 0
leaves out the SageMaker endpoint), PRIMARY_REGION (eu-west-1),
STANDBY_REGIONS ("eu-central-1 eu-north-1").

What exists before the outage is ready when seeded: while seeding, the
sandbox's timed models (moto-timed.py) are set to come up at once through
moto's state manager, and set back to their scaled real time after.

One process with boto3, the library under the aws CLI: the same API calls as
the CLI would make, without a second of interpreter start-up for each one.
Safe to run twice: every resource is looked up before it is created, and a
re-seed does not undo a failover. Refuses to run without AWS_ENDPOINT_URL, so
it can never touch a real account.
"""
import json
import os
import sys
import time
import urllib.request
from contextlib import contextmanager

if not os.environ.get("AWS_ENDPOINT_URL"):
    print("seed-aws.py: AWS_ENDPOINT_URL is not set; refusing to seed what may be a real AWS account",
          file=sys.stderr)
    sys.exit(2)
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

import boto3  # noqa: E402  (after the refusal, which must work without it)
from botocore.exceptions import ClientError  # noqa: E402

PRIMARY_REGION = os.environ.get("PRIMARY_REGION") or "eu-west-1"
STANDBY_REGIONS = (os.environ.get("STANDBY_REGIONS") or "eu-central-1 eu-north-1").split()
ENVIRONMENTS = (os.environ.get("ENVIRONMENTS") or "prod staging").split()
SEED_ML = (os.environ.get("SEED_ML") or "1") == "1"

# Names, zones and databases per environment.
ENVIRONMENT = {
    "prod": dict(cluster="prod-eu", db="prod-db", zone="example.com", record="api.example.com",
                 primary_octet=10, standby_octet=20),
    "staging": dict(cluster="staging-eu", db="staging-db", zone="staging.example.com",
                    record="api.staging.example.com", primary_octet=30, standby_octet=40),
}


def log(message):
    print(f"seed: {message}", file=sys.stderr)


def out(*fields):
    print(*fields, flush=True)


_clients = {}


def client(service, region=None):
    """One client per service and region: making one reads its API model."""
    region = region or os.environ["AWS_DEFAULT_REGION"]
    key = (service, region)
    if key not in _clients:
        _clients[key] = boto3.client(service, region_name=region, endpoint_url=ENDPOINT)
    return _clients[key]


def exists(call, **kwargs):
    """Whether a describe/get call succeeds: any API error means not there yet."""
    try:
        call(**kwargs)
        return True
    except ClientError:
        return False


def tags(**pairs):
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


# --- IAM -------------------------------------------------------------------

def ensure_role(name, service):
    iam = client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError:
        pass
    log(f"creating IAM role {name} (trusts {service})")
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy, separators=(",", ":")),
                           Tags=tags(**{"managed-by": "terraform"}))["Role"]["Arn"]


# --- Network ---------------------------------------------------------------

def ensure_vpc(region, name, cidr):
    ec2 = client("ec2", region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    if vpcs:
        return vpcs[0]["VpcId"]
    log(f"creating VPC {name} in {region}")
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[
        {"ResourceType": "vpc", "Tags": tags(Name=name)}])["Vpc"]["VpcId"]


def ensure_subnet(region, vpc, name, cidr, az, cluster):
    ec2 = client("ec2", region)
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                            {"Name": "tag:Name", "Values": [name]}])["Subnets"]
    if subnets:
        subnet = subnets[0]["SubnetId"]
    else:
        log(f"creating subnet {name} ({az}) in {region}")
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
    # Tags EKS and the AWS load balancer controller look for; the runbook
    # finds the subnets by these too.
    ec2.create_tags(Resources=[subnet], Tags=tags(**{
        "Name": name, f"kubernetes.io/cluster/{cluster}": "shared", "kubernetes.io/role/internal-elb": "1"}))
    return subnet


def ensure_security_group(region, vpc, name, description):
    ec2 = client("ec2", region)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    if groups:
        return groups[0]["GroupId"]
    log(f"creating security group {name} in {region}")
    group = ec2.create_security_group(VpcId=vpc, GroupName=name, Description=description)["GroupId"]
    cidr = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": cidr}]}])
    return group


def ensure_db_subnet_group(region, name, subnets):
    rds = client("rds", region)
    if exists(rds.describe_db_subnet_groups, DBSubnetGroupName=name):
        return
    log(f"creating DB subnet group {name} in {region}")
    rds.create_db_subnet_group(DBSubnetGroupName=name, SubnetIds=subnets,
                               DBSubnetGroupDescription=f"Standby subnets for {name} (pilot light)")


# --- EKS -------------------------------------------------------------------

def ensure_cluster(region, name, role, subnets):
    eks = client("eks", region)
    if exists(eks.describe_cluster, name=name):
        return
    log(f"creating EKS cluster {name} in {region}")
    eks.create_cluster(name=name, version="1.30", roleArn=role, tags={"team": "platform"},
                       resourcesVpcConfig={"subnetIds": subnets, "endpointPrivateAccess": True,
                                           "endpointPublicAccess": False})


# --- RDS -------------------------------------------------------------------

def ensure_db_instance(region, name):
    rds = client("rds", region)
    if not exists(rds.describe_db_instances, DBInstanceIdentifier=name):
        log(f"creating RDS instance {name} in {region}")
        rds.create_db_instance(
            DBInstanceIdentifier=name, Engine="postgres", EngineVersion="16.4", DBInstanceClass="db.r6g.xlarge",
            AllocatedStorage=200, StorageType="gp3", StorageEncrypted=True,
            MasterUsername="app", MasterUserPassword=f"seed-not-a-secret-{name}",
            BackupRetentionPeriod=7, MultiAZ=True, Tags=tags(team="platform"))
        # moto takes an automated snapshot ("rds:ID-DATE") at creation. Its
        # CopyDBSnapshot cannot resolve ARNs of automated snapshots (the colon
        # in the identifier), so the nightly manual snapshot taken after this
        # must be the newest, which is what database-restore picks. moto
        # stamps snapshots to the microsecond, so no pause is needed for it to be.
    instance = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    return instance["Endpoint"]["Address"]


def ensure_db_snapshot(region, instance, snapshot):
    rds = client("rds", region)
    if exists(rds.describe_db_snapshots, DBSnapshotIdentifier=snapshot):
        return
    log(f"creating RDS snapshot {snapshot} of {instance} in {region}")
    rds.create_db_snapshot(DBInstanceIdentifier=instance, DBSnapshotIdentifier=snapshot,
                           Tags=tags(schedule="nightly"))


# --- Route 53 --------------------------------------------------------------

def ensure_public_zone(zone):
    """The zone's id, without /hostedzone/."""
    route53 = client("route53")
    zone = zone.rstrip(".") + "."
    found = [z["Id"] for z in route53.list_hosted_zones_by_name(DNSName=zone)["HostedZones"]
             if z["Name"] == zone and not z.get("Config", {}).get("PrivateZone")]
    if found:
        zone_id = found[0]
    else:
        log(f"creating public hosted zone {zone}")
        zone_id = route53.create_hosted_zone(Name=zone, CallerReference=f"seed-{zone}",
                                             HostedZoneConfig={"Comment": f"public zone for {zone}"}
                                             )["HostedZone"]["Id"]
    return zone_id.removeprefix("/hostedzone/")


def ensure_health_check(fqdn):
    route53 = client("route53")
    # moto does not deduplicate by caller reference as Route 53 does, so look first.
    for page in route53.get_paginator("list_health_checks").paginate():
        for check in page["HealthChecks"]:
            if check["HealthCheckConfig"].get("FullyQualifiedDomainName") == fqdn:
                return check["Id"]
    log(f"creating Route 53 health check for {fqdn}")
    return route53.create_health_check(CallerReference=f"seed-hc-{fqdn}", HealthCheckConfig={
        "Type": "HTTPS", "FullyQualifiedDomainName": fqdn, "Port": 443, "ResourcePath": "/healthz",
        "RequestInterval": 10, "FailureThreshold": 3})["HealthCheck"]["Id"]


def cname(name, value, ttl=300, **extra):
    return {"Action": "UPSERT", "ResourceRecordSet": {
        "Name": name, "Type": "CNAME", **extra, "TTL": ttl, "ResourceRecords": [{"Value": value}]}}


def record_sets(zone_id):
    pages = client("route53").get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    return [r for page in pages for r in page["ResourceRecordSets"]]


# --- Time ----------------------------------------------------------------

# The models moto-timed.py brings up over time (harmless names to plain moto).
TIMED_MODELS = ["eks::cluster", "eks::nodegroup", "rds::instance", "rds::snapshot"]


def state_manager(action, body):
    request = urllib.request.Request(f"{ENDPOINT}/moto-api/state-manager/{action}", method="POST",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()


@contextmanager
def ready_at_once():
    """Everything created inside is ready at once: it existed before the outage."""
    for model in TIMED_MODELS:
        state_manager("set-transition", {"model_name": model, "transition": {"progression": "immediate"}})
    try:
        yield
    finally:
        for model in TIMED_MODELS:
            state_manager("unset-transition", {"model_name": model})


# --- One environment -------------------------------------------------------

def seed_environment(env):
    if env not in ENVIRONMENT:
        print(f"seed-aws.py: unknown environment {env}", file=sys.stderr)
        sys.exit(2)
    e = ENVIRONMENT[env]
    cluster, db, zone, record = e["cluster"], e["db"], e["zone"], e["record"]

    cluster_role = ensure_role(f"{cluster}-cluster-role", "eks.amazonaws.com")
    node_role = ensure_role(f"{cluster}-node-role", "ec2.amazonaws.com")
    out(env, "cluster_role_arn", cluster_role)
    out(env, "node_role_arn", node_role)

    # Primary region: the live database and its nightly snapshot.
    db_endpoint = ensure_db_instance(PRIMARY_REGION, db)
    snapshot = f"{db}-nightly-{time.strftime('%Y%m%d', time.gmtime())}"
    ensure_db_snapshot(PRIMARY_REGION, db, snapshot)
    client("ssm", PRIMARY_REGION).put_parameter(Name=f"/{cluster}/database/endpoint", Type="String",
                                                Value=db_endpoint, Overwrite=True)
    out(env, "primary_db", PRIMARY_REGION, db_endpoint)
    out(env, "primary_snapshot", snapshot)

    # Primary region: the live cluster on its own network.
    octet = e["primary_octet"]
    vpc = ensure_vpc(PRIMARY_REGION, cluster, f"10.{octet}.0.0/16")
    subnets = [ensure_subnet(PRIMARY_REGION, vpc, f"{cluster}-private-{PRIMARY_REGION}{az}",
                             f"10.{octet}.{i * 32}.0/19", f"{PRIMARY_REGION}{az}", cluster)
               for i, az in enumerate("abc")]
    ensure_cluster(PRIMARY_REGION, cluster, cluster_role, subnets)
    out(env, "primary_cluster", PRIMARY_REGION, cluster)

    # Standby regions: pilot-light network, nothing running.
    octet = e["standby_octet"]
    for region in STANDBY_REGIONS:
        vpc = ensure_vpc(region, f"{cluster}-standby", f"10.{octet}.0.0/16")
        subnets = [ensure_subnet(region, vpc, f"{cluster}-private-{region}{az}",
                                 f"10.{octet}.{i * 32}.0/19", f"{region}{az}", cluster)
                   for i, az in enumerate("abc")]
        ensure_db_subnet_group(region, f"{db}-standby", subnets)
        out(env, "standby_subnets", region, *subnets)
        out(env, "standby_db_security_group", region,
            ensure_security_group(region, vpc, f"{db}-standby", f"PostgreSQL from the {cluster} standby VPC"))
        octet += 1

    # DNS: regional names and the failover pair on the public name.
    zone_id = ensure_public_zone(zone)
    primary_name = f"{PRIMARY_REGION}.{record}"
    hc = ensure_health_check(primary_name)
    changes = [cname(f"{primary_name}.", f"{cluster}-ingress.{PRIMARY_REGION}.elb.amazonaws.com")]
    changes += [cname(f"{region}.{record}.", f"{cluster}-ingress.{region}.elb.amazonaws.com")
                for region in STANDBY_REGIONS]
    # Only create the failover pair when missing: a re-seed must not undo a
    # failover that a runbook has just performed.
    if not any(r["Name"] == f"{record}." and r.get("Failover") == "PRIMARY" for r in record_sets(zone_id)):
        log(f"creating failover records for {record}")
        changes.append(cname(f"{record}.", primary_name, SetIdentifier="primary", Failover="PRIMARY",
                             ttl=60, HealthCheckId=hc))
        changes.append(cname(f"{record}.", f"{STANDBY_REGIONS[0]}.{record}", SetIdentifier="secondary",
                             Failover="SECONDARY", ttl=60))
    client("route53").change_resource_record_sets(HostedZoneId=zone_id,
                                                  ChangeBatch={"Comment": "seed", "Changes": changes})
    out(env, "hosted_zone", zone, zone_id)
    out(env, "health_check", primary_name, hc)


# --- ML: fraud-scoring on SageMaker ---------------------------------------

def seed_fraud_scoring():
    region = PRIMARY_REGION
    sagemaker = client("sagemaker", region)
    role = ensure_role("fraud-scoring-sagemaker", "sagemaker.amazonaws.com")
    for v in ("v41", "v42"):
        if not exists(sagemaker.describe_model, ModelName=f"fraud-scoring-{v}"):
            log(f"creating SageMaker model fraud-scoring-{v}")
            sagemaker.create_model(ModelName=f"fraud-scoring-{v}", ExecutionRoleArn=role, PrimaryContainer={
                "Image": f"123456789012.dkr.ecr.{region}.amazonaws.com/fraud-scoring:{v}",
                "ModelDataUrl": f"s3://acme-models/fraud-scoring/{v}/model.tar.gz"})

    def variant(v, count, weight):
        return {"VariantName": v, "ModelName": f"fraud-scoring-{v}", "InitialInstanceCount": count,
                "InstanceType": "ml.m5.xlarge", "InitialVariantWeight": weight}

    # v41 alone: what was live before the v42 release; then v42 live, v41 kept
    # warm on one instance at weight 0 for instant rollback.
    configs = {"fraud-scoring-v41": [variant("v41", 4, 1)],
               "fraud-scoring-v42": [variant("v42", 4, 1), variant("v41", 1, 0)]}
    for name, variants in configs.items():
        if not exists(sagemaker.describe_endpoint_config, EndpointConfigName=name):
            log(f"creating endpoint config {name}")
            sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants)
    if not exists(sagemaker.describe_endpoint, EndpointName="fraud-scoring"):
        log("creating endpoint fraud-scoring")
        sagemaker.create_endpoint(EndpointName="fraud-scoring", EndpointConfigName="fraud-scoring-v42")
    ssm = client("ssm", region)
    if not exists(ssm.get_parameter, Name="/fraud-scoring/mode"):
        ssm.put_parameter(Name="/fraud-scoring/mode", Type="String", Value="model",
                          Description="fraud-scoring serving mode: model | heuristic")
    client("cloudwatch", region).put_metric_alarm(
        AlarmName="fraud-scoring-error-rate",
        AlarmDescription="fraud-scoring: more than 2% of scoring requests fail or fall back",
        Namespace="Acme/FraudScoring", MetricName="ErrorRate",
        Dimensions=[{"Name": "Service", "Value": "fraud-scoring"}],
        Statistic="Average", Period=60, EvaluationPeriods=5, DatapointsToAlarm=3,
        Threshold=2.0, ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    endpoint = sagemaker.describe_endpoint(EndpointName="fraud-scoring")
    out("ml", "sagemaker_endpoint", region, "fraud-scoring", endpoint["EndpointConfigName"], endpoint["EndpointStatus"])


with ready_at_once():
    for env in ENVIRONMENTS:
        seed_environment(env)
    if SEED_ML:
        seed_fraud_scoring()
log(f"done ({ENDPOINT})")
