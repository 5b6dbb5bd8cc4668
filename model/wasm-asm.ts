// A small WebAssembly assembler: the binary encoding (LEB128 integers, names, sections, vectors),
// the instructions the kernels are written in as functions that return their bytes, and one
// module layout (functions, one imported shared memory, exported functions). Enough for the
// hand-written SIMD kernel of simd-kernel.ts, so that no toolchain is needed at build time.
// Byte values are those of the WebAssembly 2.0 binary format (core and fixed-width SIMD).

/** Value types. */
export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const str = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];

// Instructions.
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const i32c = (n: number) => [0x41, ...sleb(n)];
export const f32c = (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)];
export const call = (f: number) => [0x10, ...uleb(f)];
// i32 arithmetic and comparisons (S: signed, U: unsigned).
export const add = [0x6a], sub = [0x6b], mul = [0x6c], and = [0x71], shl = [0x74], shrU = [0x76];
export const eqz = [0x45], eq = [0x46], ltS = [0x48], geS = [0x4e], leU = [0x4d], geU = [0x4f];
export const fadd = [0x92], fsub = [0x93], fmul = [0x94], fdiv = [0x95], fneg = [0x8c], flt = [0x5d], fgt = [0x5e];
export const i32load = [0x28, 0x02, 0x00];
export const f32load = [0x2a, 0x02, 0x00];
export const f32store = [0x38, 0x02, 0x00];
export const i32loadAt = (offset: number) => [0x28, 0x02, ...uleb(offset)];
export const f32loadAt = (offset: number) => [0x2a, 0x02, ...uleb(offset)];
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
export const vload = (offset = 0) => simd(0x00, 0x00, ...uleb(offset)); // v128.load align=1
export const vstore = (offset = 0) => simd(0x0b, 0x00, ...uleb(offset));
export const vzero = simd(0x0c, ...new Array(16).fill(0));
export const vsplat = simd(0x13);
export const vlane = (l: number) => simd(0x1f, l);
export const vadd = simd(0xe4), vsub = simd(0xe5), vmul = simd(0xe6);
export const block = (body: number[]) => [0x02, 0x40, ...body, 0x0b];
export const loop = (body: number[]) => [0x03, 0x40, ...body, 0x0b];
export const br = (d: number) => [0x0c, ...uleb(d)];
export const brIf = (d: number) => [0x0d, ...uleb(d)];
export const ifElse = (a: number[], b: number[]) => [0x04, 0x40, ...a, 0x05, ...b, 0x0b];
export const ifElseF32 = (a: number[], b: number[]) => [0x04, F32, ...a, 0x05, ...b, 0x0b];

/** `for (; i < end; i += step) body` as block/loop (body sees the loop at depth 0). */
export const forLoop = (i: number, end: number, step: number, bodyCode: number[]) =>
  block(loop([...get(i), ...get(end), ...geU, ...brIf(1), ...bodyCode, ...get(i), ...i32c(step), ...add, ...set(i), ...br(0)]));

/** Horizontal sum of the f32x4 in local `v`: (v0 + v1) + (v2 + v3). */
export const hsum = (v: number) => [...get(v), ...vlane(0), ...get(v), ...vlane(1), ...fadd, ...get(v), ...vlane(2), ...get(v), ...vlane(3), ...fadd, ...fadd];

/** One function of a module: its signature, its locals and its body (without the final `end`). */
export interface Fn {
  params: number[];
  results: number[];
  locals: number[]; // one type per local, after the params
  code: number[];
}

export interface ModuleSpec {
  fns: Fn[];
  /** The module's one import: a shared memory `module.name` of min…max 64 KiB pages. */
  memory: { module: string; name: string; minPages: number; maxPages: number };
  /** Exported functions: name → index in `fns`, in this order. */
  exports: Record<string, number>;
}

/** The module's bytes: header, type, import, function, export and code sections. */
export function assemble(spec: ModuleSpec): Uint8Array<ArrayBuffer> {
  const { fns, memory: m } = spec;
  const types = fns.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]);
  const bodies = fns.map((f) => {
    const b = [...vec(f.locals.map((t) => [1, t])), ...f.code, 0x0b];
    return [...uleb(b.length), ...b];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    // import kind 0x02 (memory), limits flag 0x03 (shared, with a maximum)
    ...section(2, vec([[...str(m.module), ...str(m.name), 0x02, 0x03, ...uleb(m.minPages), ...uleb(m.maxPages)]])),
    ...section(3, vec(fns.map((_, i) => uleb(i)))),
    // export kind 0x00 (function)
    ...section(7, vec(Object.entries(spec.exports).map(([name, f]) => [...str(name), 0x00, ...uleb(f)]))),
    ...section(10, vec(bodies)),
  ]);
}
