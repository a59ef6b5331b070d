/**
 * The operation tables are typed by the generated `Operations` maps: `npm run typecheck` compiles
 * this file, and each `@ts-expect-error` below fails the typecheck if the mistake under it were
 * accepted (for example if handler inputs went back to `any`).
 */
import { describe, expect, it } from 'vitest';
import { operationTable, type OperationHandlers } from '../../src/protocol/operation-table.js';
import type { Operations } from '../../src/services/logs/generated/types.js';
import type { SageMakerOperations } from '../../src/services/sagemaker/operation-types.js';

describe('typed operation tables', () => {
  it('give handlers the generated input and check what they return', async () => {
    const handlers: OperationHandlers<Operations> = {
      CreateLogGroup: (_ctx, input) => {
        const name: string = input.logGroupName; // required in the model
        // @ts-expect-error optional in the model: may be undefined
        const kms: string = input.kmsKeyId;
        void kms;
        return name ? {} : {};
      },
    };
    // @ts-expect-error an operation the logs table does not route
    const notRouted: OperationHandlers<Operations> = { CreateExportTask: () => ({}) };
    // @ts-expect-error a handler that declares an input the model does not send
    const wrongInput: OperationHandlers<Operations> = { CreateLogGroup: (_ctx, _input: { logGroupName: number }) => ({}) };
    // @ts-expect-error an output member of the wrong type
    const wrongOutput: OperationHandlers<Operations> = { DescribeLogGroups: () => ({ logGroups: 'none' }) };
    // @ts-expect-error an enum member outside the model's values
    const wrongEnum: OperationHandlers<SageMakerOperations> = { ListEndpoints: () => ({ Endpoints: [{ EndpointName: 'e', EndpointArn: 'a', CreationTime: 0, LastModifiedTime: 0, EndpointStatus: 'Sleeping' }] }) };
    void [notRouted, wrongInput, wrongOutput, wrongEnum];

    const table = operationTable<Operations>(handlers);
    expect(Object.keys(table)).toEqual(['CreateLogGroup']);
    expect(await table.CreateLogGroup!({} as never, { logGroupName: 'g' })).toEqual({});
  });
});
