// The integration tests' own Temporal namespace, with the pipeline's search attributes. A stack
// started by this checkout creates it at start (scripts/stack/services/temporal.ts); a dev server
// started before that (an older checkout's stack, reused) gets it here, once.
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const TYPES = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

// gRPC status codes the calls below answer with when someone else got there first.
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;
const codeOf = (err: unknown): number | undefined => (err as { code?: number }).code;

/** Makes sure `namespace` exists on the server at `address`, with every search attribute, and answers queries. */
export async function ensureNamespace(address: string, namespace: string, log: (line: string) => void = () => undefined): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (err) {
      if (codeOf(err) !== NOT_FOUND) throw err;
      log(`registering the test namespace ${namespace}`);
      try {
        // Closed test workflows go after a day: the test namespace does not grow without end.
        await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
      } catch (e) {
        if (codeOf(e) !== ALREADY_EXISTS) throw e;
      }
    }
    // A namespace just registered is served once the frontend's namespace cache has it (seconds).
    const have = await retry(`namespace ${namespace} to be served`, () => connection.operatorService.listSearchAttributes({ namespace }));
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !(name in (have.customAttributes ?? {})));
    if (missing.length > 0) {
      log(`adding search attributes ${missing.map(([n]) => n).join(', ')} to ${namespace}`);
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([n, t]) => [n, TYPES[t]])) });
      } catch (e) {
        if (codeOf(e) !== ALREADY_EXISTS) throw e;
      }
    }
    // A list query on a custom attribute answers only once namespace and attributes are both in place.
    await retry(`namespace ${namespace} to answer a query on ImageFamily`, () =>
      connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1, query: 'ImageFamily = "none"' }),
    );
  } finally {
    await connection.close();
  }
}

async function retry<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
