// Register the search attributes the workflows set, on whatever Temporal the worker connects to
// (the dev server gets them at start from scripts/services.sh; an existing cluster gets them here).
import { Connection } from '@temporalio/client';
import type { temporal as T } from '@temporalio/proto';
import proto from '@temporalio/proto'; // CommonJS: its named exports are not visible to Node's ESM loader

const { temporal } = proto;

export const SEARCH_ATTRIBUTES: Record<string, T.api.enums.v1.IndexedValueType> = {
  ModelVersion: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  NdcgAt10: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  GatePassed: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DataAsOf: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

export async function ensureSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const have = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !have.has(name));
    if (missing.length) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing) });
    return missing.map(([n]) => n);
  } finally {
    await connection.close();
  }
}
