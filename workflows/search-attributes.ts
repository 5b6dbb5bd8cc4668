// Search attributes every retrain sets (registered by scripts/services.sh on the dev server).
import { defineSearchAttributeKey } from '@temporalio/common';

export const MODEL_VERSION = defineSearchAttributeKey('ModelVersion', 'KEYWORD');
export const NDCG_AT_10 = defineSearchAttributeKey('NdcgAt10', 'DOUBLE');
export const GATE_PASSED = defineSearchAttributeKey('GatePassed', 'BOOL');
export const DATA_AS_OF = defineSearchAttributeKey('DataAsOf', 'DATETIME');
/** pass | fail | inconclusive (model/gate.ts). */
export const GATE_OUTCOME = defineSearchAttributeKey('GateOutcome', 'KEYWORD');
/** publish | keep_live | publish_baseline: what the run did with the outcome. */
export const RELEASE = defineSearchAttributeKey('Release', 'KEYWORD');
