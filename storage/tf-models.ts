// Saved TF.js models on disk: the ranker and the content → factor model (model/ builds and
// reads their networks and metadata; this file owns the files).
//
// Layout: <dir>/model.json (topology, weight manifest, userDefinedMetadata) and
// <dir>/weights.bin, the standard tfjs layers-model layout, written with node:fs so it works
// without tfjs-node (whose file:// handler is the usual way). Each file is written to a
// temporary name and renamed, so a reader never sees a half-written file.
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentModelFromNetwork, contentNetwork, type ContentModel } from '../model/content';
import { rankerFromNetwork, rankerNetwork, type RankerModel } from '../model/ranker';
import { currentTf } from '../model/tf-backend';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/** tf.io handler that saves a LayersModel to / loads it from a directory. */
export function modelDirIO(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new TypeError('modelDirIO saves JSON topologies only');
      const weights = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await mkdir(dir, { recursive: true });
      await writeAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      await writeAtomic(join(dir, MODEL_JSON), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
      if (json.modelTopology == null || !Array.isArray(json.weightsManifest)) {
        throw new TypeError(`${join(dir, MODEL_JSON)} is not a tfjs layers model (no modelTopology/weightsManifest)`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const parts: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const buf = await readFile(join(dir, p));
            parts.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(parts)];
      });
    },
  };
}

async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Write the ranker to dir (model.json + weights.bin). */
export async function saveRanker(model: RankerModel, dir: string): Promise<void> {
  await rankerNetwork(model).save(modelDirIO(dir));
}

/** Read a ranker written by saveRanker (on whatever backend is live now). */
export async function loadRanker(dir: string): Promise<RankerModel> {
  const { tf: tfr } = await currentTf();
  return rankerFromNetwork(await tfr.loadLayersModel(modelDirIO(dir)), dir);
}

/** Write the content → factor model to dir (model.json + weights.bin). */
export async function saveContentModel(model: ContentModel, dir: string): Promise<void> {
  await contentNetwork(model).save(modelDirIO(dir));
}

/** Read a content model written by saveContentModel (on whatever backend is live now). */
export async function loadContentModel(dir: string): Promise<ContentModel> {
  const { tf: tfr } = await currentTf();
  return contentModelFromNetwork(await tfr.loadLayersModel(modelDirIO(dir)), dir);
}
