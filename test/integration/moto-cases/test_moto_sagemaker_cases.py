"""The cases of moto's own SageMaker tests for tuning jobs, pipelines and model packages
(getmoto/moto tests/test_sagemaker/test_sagemaker_hyper_parameter_tuning_job.py,
test_sagemaker_pipeline.py, test_sagemaker_model_packages.py), rewritten against a running
Slipway with inputs SageMaker itself accepts. Cases that are not valid for SageMaker (or test moto's
internals) are left out; docs/tuning.md lists them and why.

Run by moto-cases.int.test.ts with AWS_ENDPOINT_URL pointing at a fresh server, SLIPWAY_TEST_IMAGE
(a training image printing `train:loss=0.5;`) and SLIPWAY_TEST_BUCKET. Each case uses names of its
own, and list cases filter by them, since the cases share one server.
"""

import datetime
import json
import os
import time
import uuid

import boto3
import botocore.exceptions
import pytest

IMAGE = os.environ["SLIPWAY_TEST_IMAGE"]
BUCKET = os.environ["SLIPWAY_TEST_BUCKET"]
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"


@pytest.fixture(scope="module", name="sm")
def fixture_sm():
    return boto3.client("sagemaker")


@pytest.fixture(scope="module", name="account")
def fixture_account():
    return boto3.client("sts").get_caller_identity()["Account"]


def uniq(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def region():
    return boto3.session.Session().region_name


# ---------------------------------------------------------------- tuning jobs


def tuning_request(name, **over):
    req = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1, "MaxRuntimeInSeconds": 600},
            "ParameterRanges": {"IntegerParameterRanges": [{"Name": "depth", "MinValue": "1", "MaxValue": "5", "ScalingType": "Auto"}]},
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "loss", "Regex": "train:loss=([0-9.]+);"}],
            },
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/moto-cases"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }
    req.update(over)
    return req


def wait_tuning(sm, name, timeout=180):
    deadline = time.monotonic() + timeout
    while True:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if d["HyperParameterTuningJobStatus"] not in ("InProgress", "Stopping"):
            return d
        assert time.monotonic() < deadline, f"tuning job {name} still {d['HyperParameterTuningJobStatus']}"
        time.sleep(0.5)


def test_tuning_create_answers_the_arn(sm, account):
    name = uniq("tune")
    resp = sm.create_hyper_parameter_tuning_job(**tuning_request(name))
    assert resp["HyperParameterTuningJobArn"] == f"arn:aws:sagemaker:{region()}:{account}:hyper-parameter-tuning-job/{name}"
    wait_tuning(sm, name)


def test_tuning_describe_after_completion(sm, account):
    name = uniq("tune")
    sm.create_hyper_parameter_tuning_job(**tuning_request(name))
    d = wait_tuning(sm, name)
    assert d["HyperParameterTuningJobName"] == name
    assert d["HyperParameterTuningJobArn"] == f"arn:aws:sagemaker:{region()}:{account}:hyper-parameter-tuning-job/{name}"
    assert d["HyperParameterTuningJobStatus"] == "Completed"
    assert d["HyperParameterTuningJobConfig"]["Strategy"] == "Bayesian"
    assert d["HyperParameterTuningJobConfig"]["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1, "MaxRuntimeInSeconds": 600}
    for key in ("CreationTime", "HyperParameterTuningEndTime", "LastModifiedTime"):
        assert isinstance(d[key], datetime.datetime)
    assert d["TrainingJobStatusCounters"] == {"Completed": 1, "InProgress": 0, "NonRetryableError": 0, "RetryableError": 0, "Stopped": 0}
    assert d["ObjectiveStatusCounters"] == {"Failed": 0, "Pending": 0, "Succeeded": 1}
    best = d["BestTrainingJob"]
    for key in ("CreationTime", "TrainingStartTime", "TrainingEndTime"):
        assert isinstance(best[key], datetime.datetime)
    assert best["TuningJobName"] == name
    assert best["TrainingJobStatus"] == "Completed"
    assert best["ObjectiveStatus"] == "Succeeded"
    assert best["FinalHyperParameterTuningJobObjectiveMetric"] == {"Type": "Minimize", "MetricName": "loss", "Value": 0.5}
    assert set(best["TunedHyperParameters"]) == {"depth"}
    assert isinstance(d["ConsumedResources"]["RuntimeInSeconds"], int)


def test_tuning_list_and_filters(sm):
    prefix = uniq("tlist")
    names = [f"{prefix}-a", f"{prefix}-c", f"{prefix}-b", uniq("other")]
    for n in names:
        sm.create_hyper_parameter_tuning_job(**tuning_request(n))
        time.sleep(0.01)
    for n in names:
        wait_tuning(sm, n)
    listed = sm.list_hyper_parameter_tuning_jobs(NameContains=prefix)["HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobName"] for s in listed] == sorted(names[:3])
    first = listed[0]
    assert first["HyperParameterTuningJobStatus"] == "Completed"
    assert first["Strategy"] == "Bayesian"
    assert isinstance(first["CreationTime"], datetime.datetime)
    assert isinstance(first["HyperParameterTuningEndTime"], datetime.datetime)
    filtered = sm.list_hyper_parameter_tuning_jobs(
        SortBy="CreationTime",
        SortOrder="Ascending",
        NameContains=prefix,
        CreationTimeAfter=datetime.datetime(2024, 1, 1),
        CreationTimeBefore=datetime.datetime(2100, 1, 1),
        LastModifiedTimeAfter=datetime.datetime(2024, 1, 1),
        LastModifiedTimeBefore=datetime.datetime(2100, 1, 1),
        StatusEquals="Completed",
    )["HyperParameterTuningJobSummaries"]
    assert [s["HyperParameterTuningJobName"] for s in filtered] == names[:3]


def test_tuning_delete(sm):
    keep, gone = uniq("tkeep"), uniq("tgone")
    for n in (keep, gone):
        sm.create_hyper_parameter_tuning_job(**tuning_request(n))
    for n in (keep, gone):
        wait_tuning(sm, n)
    sm.delete_hyper_parameter_tuning_job(HyperParameterTuningJobName=gone)
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=gone)
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=keep)["HyperParameterTuningJobName"] == keep


def test_tuning_tags(sm):
    name = uniq("ttag")
    arn = sm.create_hyper_parameter_tuning_job(**tuning_request(name, Tags=[{"Key": "testkey", "Value": "testvalue"}]))["HyperParameterTuningJobArn"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "testkey", "Value": "testvalue"}]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "testkey2", "Value": "testvalue2"}])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "testkey", "Value": "testvalue"}, {"Key": "testkey2", "Value": "testvalue2"}]
    sm.delete_tags(ResourceArn=arn, TagKeys=["testkey"])
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "testkey2", "Value": "testvalue2"}]
    wait_tuning(sm, name)


# ---------------------------------------------------------------- pipelines

# SageMaker parses PipelineDefinition (moto's " " would be refused): the smallest valid one, a Fail step.
DEFINITION = json.dumps(
    {
        "Version": "2020-12-01",
        "Parameters": [{"Name": "foo", "Type": "String", "DefaultValue": "default"}],
        "Steps": [{"Name": "Stop", "Type": "Fail", "Arguments": {"ErrorMessage": "stopped on purpose"}}],
    }
)


def create_pipeline(sm, name, **over):
    return sm.create_pipeline(**{"PipelineName": name, "RoleArn": ROLE, "PipelineDefinition": DEFINITION, **over})


def test_pipeline_create_answers_the_arn(sm, account):
    name = uniq("Pipe")
    resp = create_pipeline(sm, name)
    # SageMaker ARNs carry the name in lower case.
    assert resp["PipelineArn"] == f"arn:aws:sagemaker:{region()}:{account}:pipeline/{name.lower()}"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"PipelineName": "MissingDefinition", "RoleArn": ROLE},
        {"RoleArn": ROLE, "PipelineDefinition": DEFINITION},
        {"PipelineName": "MissingRole", "PipelineDefinition": DEFINITION},
        {"PipelineName": "BothDefinitions", "RoleArn": ROLE, "PipelineDefinition": DEFINITION, "PipelineDefinitionS3Location": {"Bucket": BUCKET, "ObjectKey": "definition.json"}},
    ],
)
def test_pipeline_create_refuses_missing_members(sm, kwargs):
    with pytest.raises((botocore.exceptions.ParamValidationError, botocore.exceptions.ClientError)):
        sm.create_pipeline(**kwargs)


def test_pipeline_create_refuses_a_taken_name(sm):
    name = uniq("Pipe")
    create_pipeline(sm, name)
    with pytest.raises(botocore.exceptions.ClientError):
        create_pipeline(sm, name)


def test_pipeline_list_sort_page_and_filters(sm):
    prefix = uniq("PL")
    names = [f"{prefix}-B", f"{prefix}-A", f"{prefix}-C"]
    for n in names:
        create_pipeline(sm, n)
        time.sleep(1.1)  # CreatedAfter/Before have second resolution on the wire
    listed = sm.list_pipelines(PipelineNamePrefix=prefix)["PipelineSummaries"]
    assert len(listed) == 3
    for s in listed:
        assert set(s) >= {"PipelineArn", "PipelineName", "PipelineDisplayName", "RoleArn", "CreationTime", "LastModifiedTime"}
    by_name = sm.list_pipelines(PipelineNamePrefix=prefix, SortBy="Name", SortOrder="Ascending")["PipelineSummaries"]
    assert [s["PipelineName"] for s in by_name] == sorted(names)
    newest = sm.list_pipelines(PipelineNamePrefix=prefix, SortBy="CreationTime", SortOrder="Descending")["PipelineSummaries"]
    assert [s["PipelineName"] for s in newest] == names[::-1]
    page = sm.list_pipelines(PipelineNamePrefix=prefix, MaxResults=1)
    assert len(page["PipelineSummaries"]) == 1 and page["NextToken"]
    rest = sm.list_pipelines(PipelineNamePrefix=prefix, MaxResults=10, NextToken=page["NextToken"])
    assert len(rest["PipelineSummaries"]) == 2
    middle = sm.describe_pipeline(PipelineName=names[1])["CreationTime"]
    half = datetime.timedelta(milliseconds=500)
    after = sm.list_pipelines(PipelineNamePrefix=prefix, CreatedAfter=middle + half)["PipelineSummaries"]
    assert [s["PipelineName"] for s in after] == [names[2]]
    before = sm.list_pipelines(PipelineNamePrefix=prefix, CreatedBefore=middle - half)["PipelineSummaries"]
    assert [s["PipelineName"] for s in before] == [names[0]]
    assert sm.list_pipelines(PipelineNamePrefix=uniq("none"))["PipelineSummaries"] == []


@pytest.mark.parametrize("kwargs", [{"SortBy": "NotAField"}, {"SortOrder": "NotAnOrder"}, {"MaxResults": 200}, {"NextToken": "some-invalid-next-token"}])
def test_pipeline_list_refuses_bad_values(sm, kwargs):
    with pytest.raises((botocore.exceptions.ParamValidationError, botocore.exceptions.ClientError)):
        sm.list_pipelines(**kwargs)


def test_pipeline_delete(sm):
    name = uniq("Pipe")
    arn = create_pipeline(sm, name)["PipelineArn"]
    assert sm.delete_pipeline(PipelineName=name, ClientRequestToken=uuid.uuid4().hex)["PipelineArn"] == arn
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_pipeline(PipelineName=name)
    with pytest.raises(botocore.exceptions.ClientError):
        sm.delete_pipeline(PipelineName=name, ClientRequestToken=uuid.uuid4().hex)
    assert sm.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"] == []


def test_pipeline_update(sm):
    with pytest.raises(botocore.exceptions.ClientError):
        sm.update_pipeline(PipelineName=uniq("missing"))
    name = uniq("Pipe")
    arn = create_pipeline(sm, name)["PipelineArn"]
    assert sm.update_pipeline(PipelineName=name)["PipelineArn"] == arn
    listed = sm.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]
    assert [(p["PipelineName"], p["PipelineDisplayName"]) for p in listed] == [(name, name)]
    sm.update_pipeline(PipelineName=name, PipelineDisplayName="shown", PipelineDescription="described", RoleArn=ROLE + "Test")
    d = sm.describe_pipeline(PipelineName=name)
    assert d["PipelineDisplayName"] == "shown"
    assert d["PipelineDescription"] == "described"
    assert d["PipelineArn"] == arn
    listed = sm.list_pipelines(PipelineNamePrefix=name)["PipelineSummaries"]
    assert [(p["PipelineDisplayName"], p["RoleArn"]) for p in listed] == [("shown", ROLE + "Test")]


def test_pipeline_describe(sm):
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_pipeline(PipelineName=uniq("missing"))
    name = uniq("Pipe")
    create_pipeline(sm, name, PipelineDescription="a pipeline")
    d = sm.describe_pipeline(PipelineName=name)
    assert d["PipelineName"] == name
    assert json.loads(d["PipelineDefinition"]) == json.loads(DEFINITION)
    assert d["PipelineDescription"] == "a pipeline"
    assert d["RoleArn"] == ROLE
    assert d["PipelineStatus"] == "Active"
    assert isinstance(d["CreationTime"], datetime.datetime)


def test_pipeline_executions(sm):
    names = [uniq("PipeA"), uniq("PipeB")]
    for n in names:
        create_pipeline(sm, n)
    first = sm.start_pipeline_execution(PipelineName=names[0], ClientRequestToken=uuid.uuid4().hex)["PipelineExecutionArn"]
    sm.start_pipeline_execution(PipelineName=names[0], ClientRequestToken=uuid.uuid4().hex, PipelineParameters=[{"Name": "foo", "Value": "bar"}])
    other = sm.start_pipeline_execution(PipelineName=names[1], ClientRequestToken=uuid.uuid4().hex)["PipelineExecutionArn"]
    assert names[0].lower() in first.lower() and names[1].lower() in other.lower()
    summaries = sm.list_pipeline_executions(PipelineName=names[0])["PipelineExecutionSummaries"]
    assert len(summaries) == 2
    assert all(names[0].lower() in s["PipelineExecutionArn"].lower() for s in summaries)
    assert sm.describe_pipeline_execution(PipelineExecutionArn=first)["PipelineExecutionArn"] == first
    definition = sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=first)
    assert set(definition) == {"PipelineDefinition", "CreationTime", "ResponseMetadata"}
    assert json.loads(definition["PipelineDefinition"]) == json.loads(DEFINITION)
    with pytest.raises(botocore.exceptions.ClientError):
        sm.describe_pipeline_execution(PipelineExecutionArn=first[: first.rindex("/") + 1] + "0123456789ab")


def test_pipeline_parameters_for_execution(sm):
    name = uniq("Pipe")
    create_pipeline(sm, name)
    arn = sm.start_pipeline_execution(PipelineName=name, ClientRequestToken=uuid.uuid4().hex, PipelineParameters=[{"Name": "foo", "Value": "bar"}])["PipelineExecutionArn"]
    params = sm.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)["PipelineParameters"]
    assert params == [{"Name": "foo", "Value": "bar"}]


# ---------------------------------------------------------------- model packages


def create_group(sm, name):
    sm.create_model_package_group(ModelPackageGroupName=name)
    return name


def test_model_package_create_unversioned_and_versioned(sm, account):
    name = uniq("TestModelPackage")
    arn = sm.create_model_package(ModelPackageName=name, ModelPackageDescription="described")["ModelPackageArn"]
    assert arn == f"arn:aws:sagemaker:{region()}:{account}:model-package/{name.lower()}"
    group = create_group(sm, uniq("group"))
    v1 = sm.create_model_package(ModelPackageGroupName=group, ModelPackageDescription="v1")["ModelPackageArn"]
    v2 = sm.create_model_package(ModelPackageGroupName=group, ModelPackageDescription="v2")["ModelPackageArn"]
    assert v1 == f"arn:aws:sagemaker:{region()}:{account}:model-package/{group}/1"
    assert v2 == f"arn:aws:sagemaker:{region()}:{account}:model-package/{group}/2"


def test_model_package_create_refusals(sm):
    with pytest.raises(botocore.exceptions.ClientError):
        sm.create_model_package(ModelPackageDescription="neither a name nor a group")
    with pytest.raises(botocore.exceptions.ClientError):
        sm.create_model_package(ModelPackageGroupName=uniq("group"), ModelPackageName=uniq("pkg"), ModelPackageDescription="both")
    with pytest.raises(botocore.exceptions.ClientError):
        sm.create_model_package(ModelPackageGroupName=uniq("no-such-group"), ModelPackageDescription="missing group")
    with pytest.raises((botocore.exceptions.ParamValidationError, botocore.exceptions.ClientError)):
        sm.create_model_package(ModelPackageName=uniq("pkg"), ModelApprovalStatus="IncorrectStatus")


def test_model_package_list(sm):
    tag = uniq("mpl")
    a = sm.create_model_package(ModelPackageName=f"{tag}-a", ModelPackageDescription="first")["ModelPackageArn"]
    time.sleep(1.1)
    b = sm.create_model_package(ModelPackageName=f"{tag}-b", ModelPackageDescription="second", ModelApprovalStatus="Approved")["ModelPackageArn"]
    summaries = sm.list_model_packages(NameContains=tag)["ModelPackageSummaryList"]
    assert [(s["ModelPackageName"], s["ModelPackageDescription"]) for s in summaries] == [(f"{tag}-a", "first"), (f"{tag}-b", "second")]
    assert [s["ModelPackageArn"] for s in sm.list_model_packages(NameContains=tag, SortBy="CreationTime")["ModelPackageSummaryList"]] == [a, b]
    assert [s["ModelPackageArn"] for s in sm.list_model_packages(NameContains=tag, SortOrder="Descending")["ModelPackageSummaryList"]] == [b, a]
    assert [s["ModelPackageArn"] for s in sm.list_model_packages(NameContains=tag, ModelApprovalStatus="Approved")["ModelPackageSummaryList"]] == [b]
    created_b = sm.describe_model_package(ModelPackageName=b)["CreationTime"]
    assert [s["ModelPackageArn"] for s in sm.list_model_packages(NameContains=tag, CreationTimeBefore=created_b)["ModelPackageSummaryList"]] == [a]
    assert [s["ModelPackageArn"] for s in sm.list_model_packages(NameContains=tag, CreationTimeAfter=created_b - datetime.timedelta(milliseconds=500))["ModelPackageSummaryList"]] == [b]


def test_model_package_list_by_group_type_and_pages(sm):
    group = create_group(sm, uniq("group"))
    for i in range(3):
        sm.create_model_package(ModelPackageGroupName=group, ModelPackageDescription=f"v{i + 1}")
    page = sm.list_model_packages(ModelPackageGroupName=group, MaxResults=2)
    assert len(page["ModelPackageSummaryList"]) == 2
    rest = sm.list_model_packages(ModelPackageGroupName=group, MaxResults=2, NextToken=page["NextToken"])
    assert len(rest["ModelPackageSummaryList"]) == 1
    assert "NextToken" not in rest
    versioned = sm.list_model_packages(ModelPackageType="Versioned", NameContains=group)["ModelPackageSummaryList"]
    assert {s["ModelPackageVersion"] for s in versioned} == {1, 2, 3}


def test_model_package_describe(sm, account):
    group = create_group(sm, uniq("group"))
    arn = sm.create_model_package(ModelPackageGroupName=group, ModelPackageDescription="described")["ModelPackageArn"]
    d = sm.describe_model_package(ModelPackageName=arn)
    assert d["ModelPackageGroupName"] == group
    assert d["ModelPackageDescription"] == "described"
    assert d["ModelPackageArn"] == f"arn:aws:sagemaker:{region()}:{account}:model-package/{group}/1"
    assert isinstance(d["CreationTime"], datetime.datetime)
    assert d["ModelPackageStatus"] == "Completed"
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    name = uniq("pkg")
    sm.create_model_package(
        ModelPackageName=name,
        ModelPackageDescription="with arguments",
        ModelApprovalStatus="PendingManualApproval",
        MetadataProperties={"CommitId": "c", "GeneratedBy": "g", "ProjectId": "p", "Repository": "r"},
        CertifyForMarketplace=True,
    )
    d = sm.describe_model_package(ModelPackageName=name)
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    assert d.get("ApprovalDescription") is None
    assert d["CertifyForMarketplace"] is True
    assert d["MetadataProperties"] == {"CommitId": "c", "GeneratedBy": "g", "ProjectId": "p", "Repository": "r"}


def test_model_package_update(sm):
    group = create_group(sm, uniq("group"))
    arn = sm.create_model_package(ModelPackageGroupName=group, CustomerMetadataProperties={"drop": "me"})["ModelPackageArn"]
    before = sm.describe_model_package(ModelPackageName=arn)
    time.sleep(1.1)
    sm.update_model_package(
        ModelPackageArn=arn,
        ModelApprovalStatus="Approved",
        ApprovalDescription="looks good",
        CustomerMetadataProperties={"keep": "this"},
        CustomerMetadataPropertiesToRemove=["drop"],
    )
    d = sm.describe_model_package(ModelPackageName=arn)
    assert d["ModelApprovalStatus"] == "Approved"
    assert d["ApprovalDescription"] == "looks good"
    assert d["CustomerMetadataProperties"] == {"keep": "this"}
    assert d["LastModifiedTime"] > before.get("LastModifiedTime", before["CreationTime"])


def test_model_package_update_adds_inference_specifications(sm):
    group = create_group(sm, uniq("group"))
    arn = sm.create_model_package(ModelPackageGroupName=group)["ModelPackageArn"]
    spec = {
        "Name": "extra-spec",
        "Description": "another way to serve it",
        "Containers": [
            {
                "ContainerHostname": "extra",
                "Image": IMAGE,
                "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz",
                "Environment": {"KEY": "value"},
                "Framework": "XGBOOST",
                "FrameworkVersion": "1.7",
            }
        ],
        "SupportedTransformInstanceTypes": ["ml.m4.xlarge", "ml.m4.2xlarge"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.t2.medium", "ml.t2.large"],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }
    sm.update_model_package(ModelPackageArn=arn, AdditionalInferenceSpecificationsToAdd=[spec])
    assert sm.describe_model_package(ModelPackageName=arn)["AdditionalInferenceSpecifications"] == [spec]
