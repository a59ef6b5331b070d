/**
 * @module services/sagemaker/operation-types — the operations the SageMaker table routes: the
 * generated input and output types, except that Describe* answer the stored document of
 * resources/ (which sits below services and keeps its own, open document types).
 */
import type { WithOutputs } from '../../protocol/operation-table.js';
import type { EndpointConfigDoc } from '../../resources/endpoint-config.js';
import type { EndpointDoc } from '../../resources/endpoint.js';
import type { ModelDoc } from '../../resources/model.js';
import type { ModelPackageDoc, ModelPackageGroupDoc } from '../../resources/model-package.js';
import type { TuningJobDoc } from '../../resources/tuning-job.js';
import type { ExecutionDoc, PipelineDoc } from '../../resources/pipeline.js';
import type { ProcessingJobDoc } from '../../resources/processing-job.js';
import type { TrainingJobDoc } from '../../resources/training-job.js';
import type { TransformJobDoc } from '../../resources/transform-job.js';
import type { Operations } from './generated/types.js';

export type SageMakerOperations = WithOutputs<
  Operations,
  {
    DescribeTrainingJob: TrainingJobDoc;
    DescribeProcessingJob: ProcessingJobDoc;
    DescribeTransformJob: TransformJobDoc;
    DescribeModel: ModelDoc;
    DescribeEndpointConfig: EndpointConfigDoc;
    DescribeEndpoint: EndpointDoc;
    DescribeModelPackage: ModelPackageDoc;
    DescribeModelPackageGroup: ModelPackageGroupDoc;
    DescribeHyperParameterTuningJob: TuningJobDoc;
    DescribePipeline: PipelineDoc;
    DescribePipelineExecution: ExecutionDoc;
  }
>;
