// A small WebAssembly SIMD (f32x4) kernel for the iALS row solves, assembled byte by byte (wasm-asm.ts) so
// no toolchain is needed at build time. The module imports one shared memory that holds the whole
// training state (both factor matrices, both CSR views, per-row λ, the f32 Grams and each thread's
// scratch; trainIals lays it out with wasmArena of ials-kernel.ts), so the whole CG loop of a
// chunk of rows runs in one call and reads partner rows where they live. The scalar-JS kernel of
// ials-kernel.ts stays as the reference and as the fallback when k is not a multiple of 4, WASM
// SIMD is unavailable or the state does not fit a 32-bit memory.
//
// Where the time goes (bench/train-vs-implicit.ts, 10 M interactions): partner rows are read at
// random, and in the item half they come from the 36 MB user-factor matrix, so the kernel is bound
// by memory latency more than by arithmetic. Hence: a row's partners are first copied in order to
// a per-thread buffer by a bare copy loop (few instructions per row, so many cache misses are in
// flight at once) and the four passes of the row (residual + 3 CG steps) stream that buffer; each
// pass computes all its dot products before the weighted sum; dots use four accumulators.
//
// Exports (pointers are byte offsets into the imported memory `env.mem`, k a multiple of 4):
//   solve(x, y, ptr, idx, val, lam, g, scratch, rowStart, rowEnd, k, steps, alpha0, buf, cap)
//     rows [rowStart, rowEnd) of x (nRows × k f32) take `steps` CG steps on their normal
//     equations A_u x_u = b_u (ials-kernel.ts), warm-started in place. y: the fixed side (f32
//     rows); ptr/idx/val: the CSR (i32 indptr, i32 indices, f32 confidences); lam: f32 λ_u per
//     row; g: the fixed side's Gram YᵀY (k×k f32); scratch: 3k + (max row nnz) f32 of this thread
//     (r, p, Ap, the partner weights); buf: cap × k f32 of this thread, where a row with at most
//     `cap` partners gets them copied (a longer row reads them in place on every pass).
//   gram(y, rowStart, rowEnd, k, out)   out (k×k f32, upper triangle incl. diagonal) += Σ_r y_r y_rᵀ
//     over the rows; the lower triangle is left as it was.
import {
  add, and, assemble, block, br, brIf, call, eq, eqz, F32, f32c, f32load, f32loadAt, f32store, fadd, fdiv,
  fgt, flt, fmul, fneg, forLoop, fsub, geS, get, geU, hsum, I32, i32c, i32load, i32loadAt, ifElse, ifElseF32,
  leU, loop, ltS, mul, set, shl, shrU, sub, V128, vadd, vload, vmul, vsplat, vstore, vsub, vzero, type Fn
} from './wasm-asm';

// Function indices.
const F_DOT = 0, F_GEMV = 1, F_STEP = 2, F_LINCOMB = 3, F_ZERO = 4, F_SOLVE = 5, F_GRAM = 6;
const F_WEIGHTS = { indexed: 7, contiguous: 8 }, F_AXPYS = { indexed: 9, contiguous: 10 }, F_COPY = 11;

/**
 * dot(a, b, kb) → f32: Σ a·b over kb bytes. Four accumulators over 64-byte blocks hide the add
 * latency (a single chain would stall on every add), then a 16-byte tail.
 */
function dotFn(): Fn {
  const [a, b, kb, t, end, s0, s1, s2, s3] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const lane = (acc: number, off: number) => [...get(acc), ...get(a), ...get(t), ...add, ...vload(off), ...get(b), ...get(t), ...add, ...vload(off), ...vmul, ...vadd, ...set(acc)];
  return {
    params: [I32, I32, I32],
    results: [F32],
    locals: [I32, I32, V128, V128, V128, V128],
    code: [
      ...vzero, ...set(s0), ...vzero, ...set(s1), ...vzero, ...set(s2), ...vzero, ...set(s3),
      ...get(kb), ...i32c(-64), ...and, ...set(end), // end = kb & ~63
      ...forLoop(t, end, 64, [...lane(s0, 0), ...lane(s1, 16), ...lane(s2, 32), ...lane(s3, 48)]),
      ...forLoop(t, kb, 16, lane(s0, 0)),
      ...get(s0), ...get(s1), ...vadd, ...get(s2), ...get(s3), ...vadd, ...vadd, ...set(s0),
      ...hsum(s0),
    ],
  };
}

/** gemv(g, v, out, kb, s, lam): out_i = s · (G_i · v) + lam · v_i for the k×k row-major G. */
function gemvFn(): Fn {
  const [g, v, out, kb, s, lam, i] = [0, 1, 2, 3, 4, 5, 6];
  return {
    params: [I32, I32, I32, I32, F32, F32],
    results: [],
    locals: [I32],
    code: [
      ...forLoop(i, kb, 4, [
        ...get(out), ...get(i), ...add,
        ...get(s), ...get(g), ...get(v), ...get(kb), ...call(F_DOT), ...fmul,
        ...get(lam), ...get(v), ...get(i), ...add, ...f32load, ...fmul, ...fadd,
        ...f32store,
        ...get(g), ...get(kb), ...add, ...set(g),
      ]),
    ],
  };
}

/** step(x, r, p, ap, kb, α) → r·r after x += α p, r −= α Ap. */
function stepFn(): Fn {
  const [x, r, p, ap, kb, al, t, av, rv, acc] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return {
    params: [I32, I32, I32, I32, I32, F32],
    results: [F32],
    locals: [I32, V128, V128, V128],
    code: [
      ...get(al), ...vsplat, ...set(av), ...vzero, ...set(acc),
      ...forLoop(t, kb, 16, [
        ...get(x), ...get(t), ...add, ...get(x), ...get(t), ...add, ...vload(), ...get(av), ...get(p), ...get(t), ...add, ...vload(), ...vmul, ...vadd, ...vstore(),
        ...get(r), ...get(t), ...add, ...vload(), ...get(av), ...get(ap), ...get(t), ...add, ...vload(), ...vmul, ...vsub, ...set(rv),
        ...get(r), ...get(t), ...add, ...get(rv), ...vstore(),
        ...get(acc), ...get(rv), ...get(rv), ...vmul, ...vadd, ...set(acc),
      ]),
      ...hsum(acc),
    ],
  };
}

/** lincomb(out, a, b, kb, s): out = a + s · b (out may alias a or b). */
function lincombFn(): Fn {
  const [out, a, b, kb, s, t, sv] = [0, 1, 2, 3, 4, 5, 6];
  return {
    params: [I32, I32, I32, I32, F32],
    results: [],
    locals: [I32, V128],
    code: [
      ...get(s), ...vsplat, ...set(sv),
      ...forLoop(t, kb, 16, [...get(out), ...get(t), ...add, ...get(a), ...get(t), ...add, ...vload(), ...get(sv), ...get(b), ...get(t), ...add, ...vload(), ...vmul, ...vadd, ...vstore()]),
    ],
  };
}

/** zero(out, kb). */
function zeroFn(): Fn {
  const [out, kb, t] = [0, 1, 2];
  return { params: [I32, I32], results: [], locals: [I32], code: [...forLoop(t, kb, 16, [...get(out), ...get(t), ...add, ...vzero, ...vstore()])] };
}

/**
 * solve: per row u with n = |I_u| > 0 (a row with none has the exact solution 0)
 *   r ← b − A x = Σ_i c_i (1 − y_iᵀx) y_i − α0·YᵀY x − λ_u x;  p ← r
 *   repeat `steps` times (stop early when rᵀr < 1e-30 or pᵀAp ≤ 0):
 *     Ap = Σ_i c_i (y_iᵀp) y_i + α0·YᵀY p + λ_u p;  α = rᵀr / pᵀAp
 *     x ← x + α p;  r ← r − α Ap;  p ← r + (r'ᵀr' / rᵀr) p
 */
function solveFn(): Fn {
  const [x, y, ptr, idx, val, lam, g, scr, u, uEnd, k, steps, alpha0, buf, cap] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [kb, xu, r, p, ap, ja, jb, wb, step] = [15, 16, 17, 18, 19, 20, 21, 22, 23];
  const [l, rs, rsNew, pap] = [24, 25, 26, 27];
  // One pass over the row's partners: out += Σ_j w_j y_j with w_j = c_j (1 − y_jᵀv) (mode 0) or
  // c_j y_jᵀv (mode 1); all the weights first (independent dots, so the loads of many partner
  // rows are in flight at once), then the sum. A row with at most `cap` partners has them copied
  // to `buf` first, so its passes stream them in order instead of jumping through y.
  const pass = (v: number, out: number, mode: 0 | 1, rows: Rows) => [
    ...get(y), ...get(idx), ...get(ja), ...add, ...get(val), ...get(ja), ...add, ...get(jb), ...get(ja), ...sub, ...get(kb), ...get(v), ...get(wb), ...i32c(mode), ...get(buf), ...call(F_WEIGHTS[rows]),
    ...get(y), ...get(idx), ...get(ja), ...add, ...get(jb), ...get(ja), ...sub, ...get(kb), ...get(wb), ...get(out), ...get(buf), ...call(F_AXPYS[rows]),
  ];
  const fits = [...get(jb), ...get(ja), ...sub, ...i32c(2), ...shrU, ...get(cap), ...leU]; // n ≤ cap
  const rowBounds = [
    ...get(ptr), ...get(u), ...i32c(2), ...shl, ...add, ...i32load, ...i32c(2), ...shl, ...set(ja),
    ...get(ptr), ...get(u), ...i32c(2), ...shl, ...add, ...i32c(4), ...add, ...i32load, ...i32c(2), ...shl, ...set(jb),
  ];
  return {
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32],
    code: [
      ...get(k), ...i32c(2), ...shl, ...set(kb),
      ...get(scr), ...set(r), ...get(scr), ...get(kb), ...add, ...set(p), ...get(p), ...get(kb), ...add, ...set(ap), ...get(ap), ...get(kb), ...add, ...set(wb),
      ...forLoop(u, uEnd, 1, [
        ...get(x), ...get(u), ...get(kb), ...mul, ...add, ...set(xu),
        ...rowBounds,
        ...get(ja), ...get(jb), ...eq, // ja == jb: no observations
        ...ifElse([...get(xu), ...get(kb), ...call(F_ZERO)], [
          ...get(lam), ...get(u), ...i32c(2), ...shl, ...add, ...f32load, ...set(l),
          ...get(g), ...get(xu), ...get(r), ...get(kb), ...get(alpha0), ...fneg, ...get(l), ...fneg, ...call(F_GEMV),
          ...fits, ...ifElse([...get(y), ...get(idx), ...get(ja), ...add, ...get(jb), ...get(ja), ...sub, ...get(kb), ...get(buf), ...call(F_COPY), ...pass(xu, r, 0, 'contiguous')], pass(xu, r, 0, 'indexed')),
          ...get(p), ...get(r), ...get(r), ...get(kb), ...f32c(0), ...call(F_LINCOMB),
          ...get(r), ...get(r), ...get(kb), ...call(F_DOT), ...set(rs),
          ...i32c(0), ...set(step),
          ...block(loop([
            ...get(step), ...get(steps), ...geU, ...brIf(1),
            ...get(rs), ...f32c(1e-30), ...flt, ...brIf(1),
            ...get(g), ...get(p), ...get(ap), ...get(kb), ...get(alpha0), ...get(l), ...call(F_GEMV),
            ...fits, ...ifElse(pass(p, ap, 1, 'contiguous'), pass(p, ap, 1, 'indexed')),
            ...get(p), ...get(ap), ...get(kb), ...call(F_DOT), ...set(pap),
            ...get(pap), ...f32c(0), ...fgt, ...eqz, ...brIf(1),
            ...get(xu), ...get(r), ...get(p), ...get(ap), ...get(kb), ...get(rs), ...get(pap), ...fdiv, ...call(F_STEP), ...set(rsNew),
            ...get(p), ...get(r), ...get(p), ...get(kb), ...get(rsNew), ...get(rs), ...fdiv, ...call(F_LINCOMB),
            ...get(rsNew), ...set(rs),
            ...get(step), ...i32c(1), ...add, ...set(step),
            ...br(0),
          ])),
        ]),
      ]),
    ],
  };
}

/**
 * gram(y, rowStart, rowEnd, k, out): out_ij += Σ_r y_ri y_rj for j ≥ i (j in steps of 4 from i
 * rounded down, so a few entries left of the diagonal are written too and must be ignored).
 * Rows go two at a time so each 16-byte block of `out` is loaded and stored once per pair.
 */
function gramFn(): Fn {
  const [y, r, rEnd, k, out, kb, i, t, o0, o1, a0, a1, orow, rEnd2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const cell = (rows: 1 | 2) => [
    ...get(orow), ...get(t), ...add,
    ...get(orow), ...get(t), ...add, ...vload(),
    ...get(a0), ...get(o0), ...get(t), ...add, ...vload(), ...vmul, ...vadd,
    ...(rows === 2 ? [...get(a1), ...get(o1), ...get(t), ...add, ...vload(), ...vmul, ...vadd] : []),
    ...vstore(),
  ];
  const rowsPass = (rows: 1 | 2) => [
    ...get(y), ...get(r), ...get(kb), ...mul, ...add, ...set(o0),
    ...get(o0), ...get(kb), ...add, ...set(o1),
    ...i32c(0), ...set(i),
    ...forLoop(i, kb, 4, [
      ...get(o0), ...get(i), ...add, ...f32load, ...vsplat, ...set(a0),
      ...(rows === 2 ? [...get(o1), ...get(i), ...add, ...f32load, ...vsplat, ...set(a1)] : []),
      ...get(out), ...get(i), ...get(k), ...mul, ...add, ...set(orow),
      ...get(i), ...i32c(-16), ...and, ...set(t),
      ...forLoop(t, kb, 16, cell(rows)),
    ]),
  ];
  return {
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, V128, V128, I32, I32],
    code: [
      ...get(k), ...i32c(2), ...shl, ...set(kb),
      ...get(rEnd), ...i32c(1), ...sub, ...set(rEnd2),
      // pairs while r + 1 < rEnd
      ...block(loop([
        ...get(r), ...get(rEnd2), ...geS, ...brIf(1), // r >= rEnd − 1 (signed: rEnd may be 0)
        ...rowsPass(2),
        ...get(r), ...i32c(2), ...add, ...set(r),
        ...br(0),
      ])),
      ...get(r), ...get(rEnd), ...ltS, // r < rEnd (signed)
      ...ifElse(rowsPass(1), []),
    ],
  };
}

/** Where a pass finds partner j's row: y[idx_j], or buf_j (copied there by copyRows). */
type Rows = 'indexed' | 'contiguous';

/**
 * weights(y, idx, val, nb, kb, v, w, mode, buf): for each of the nb/4 partners j,
 * w_j = c_j (1 − y_jᵀv) (mode 0) or c_j y_jᵀv (mode 1), y_j found as `rows` says.
 */
function weightsFn(rows: Rows): Fn {
  const [y, idx, val, nb, kb, v, w, mode, buf, j, t, end, row, s0, s1, s2, s3, d] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  const lane = (acc: number, off: number) => [...get(acc), ...get(row), ...get(t), ...add, ...vload(off), ...get(v), ...get(t), ...add, ...vload(off), ...vmul, ...vadd, ...set(acc)];
  const findRow =
    rows === 'contiguous'
      ? [...get(buf), ...set(row)]
      : [...get(y), ...get(idx), ...get(j), ...add, ...i32load, ...get(kb), ...mul, ...add, ...set(row)];
  const nextRow = rows === 'contiguous' ? [...get(row), ...get(kb), ...add, ...set(row)] : [];
  return {
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, V128, V128, V128, V128, F32],
    code: [
      ...get(kb), ...i32c(-64), ...and, ...set(end),
      ...(rows === 'contiguous' ? findRow : []),
      ...forLoop(j, nb, 4, [
        ...(rows === 'contiguous' ? [] : findRow),
        ...vzero, ...set(s0), ...vzero, ...set(s1), ...vzero, ...set(s2), ...vzero, ...set(s3),
        ...i32c(0), ...set(t),
        ...forLoop(t, end, 64, [...lane(s0, 0), ...lane(s1, 16), ...lane(s2, 32), ...lane(s3, 48)]),
        ...forLoop(t, kb, 16, lane(s0, 0)),
        ...get(s0), ...get(s1), ...vadd, ...get(s2), ...get(s3), ...vadd, ...vadd, ...set(s0),
        ...hsum(s0), ...set(d),
        ...get(w), ...get(j), ...add,
        ...get(val), ...get(j), ...add, ...f32load,
        ...get(mode), ...ifElseF32([...get(d)], [...f32c(1), ...get(d), ...fsub]),
        ...fmul, ...f32store,
        ...nextRow,
      ]),
    ],
  };
}

/** axpys(y, idx, nb, kb, w, out, buf): out += Σ_j w_j y_j, two partner rows per sweep of out. */
function axpysFn(rows: Rows): Fn {
  const [y, idx, nb, kb, w, out, buf, j, t, end, r0, r1, last, w0, w1] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const two = (off: number) => [
    ...get(out), ...get(t), ...add,
    ...get(out), ...get(t), ...add, ...vload(off),
    ...get(w0), ...get(r0), ...get(t), ...add, ...vload(off), ...vmul, ...vadd,
    ...get(w1), ...get(r1), ...get(t), ...add, ...vload(off), ...vmul, ...vadd,
    ...vstore(off),
  ];
  const one = [...get(out), ...get(t), ...add, ...get(out), ...get(t), ...add, ...vload(), ...get(w0), ...get(r0), ...get(t), ...add, ...vload(), ...vmul, ...vadd, ...vstore()];
  // Row of partner j (byte offset j into idx/w): y + idx_j·kb, or buf + (j/4)·kb.
  const rowOf = (at: number) =>
    rows === 'indexed'
      ? [...get(y), ...get(idx), ...get(j), ...add, ...i32loadAt(at), ...get(kb), ...mul, ...add]
      : [...get(buf), ...get(j), ...i32c(at), ...add, ...i32c(2), ...shrU, ...get(kb), ...mul, ...add];
  return {
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, V128, V128],
    code: [
      ...get(kb), ...i32c(-64), ...and, ...set(end),
      ...get(nb), ...i32c(4), ...sub, ...set(last),
      ...block(loop([
        ...get(j), ...get(last), ...geS, ...brIf(1), // j ≥ nb − 4 (signed): fewer than two left
        ...rowOf(0), ...set(r0),
        ...rowOf(4), ...set(r1),
        ...get(w), ...get(j), ...add, ...f32load, ...vsplat, ...set(w0),
        ...get(w), ...get(j), ...add, ...f32loadAt(4), ...vsplat, ...set(w1),
        ...i32c(0), ...set(t),
        ...forLoop(t, end, 64, [...two(0), ...two(16), ...two(32), ...two(48)]),
        ...forLoop(t, kb, 16, two(0)),
        ...get(j), ...i32c(8), ...add, ...set(j),
        ...br(0),
      ])),
      ...get(j), ...get(nb), ...ltS,
      ...ifElse([
        ...rowOf(0), ...set(r0),
        ...get(w), ...get(j), ...add, ...f32load, ...vsplat, ...set(w0),
        ...i32c(0), ...set(t),
        ...forLoop(t, kb, 16, one),
      ], []),
    ],
  };
}

/**
 * copyRows(y, idx, nb, kb, buf): buf_j ← y_{idx_j} for the nb/4 partners. A bare copy has few
 * instructions per row, so many rows' cache misses are in flight at once.
 */
function copyRowsFn(): Fn {
  const [y, idx, nb, kb, buf, j, t, end, row] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const mv = (off: number) => [...get(buf), ...get(t), ...add, ...get(row), ...get(t), ...add, ...vload(off), ...vstore(off)];
  return {
    params: [I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32],
    code: [
      ...get(kb), ...i32c(-64), ...and, ...set(end),
      ...forLoop(j, nb, 4, [
        ...get(y), ...get(idx), ...get(j), ...add, ...i32load, ...get(kb), ...mul, ...add, ...set(row),
        ...i32c(0), ...set(t),
        ...forLoop(t, end, 64, [...mv(0), ...mv(16), ...mv(32), ...mv(48)]),
        ...forLoop(t, kb, 16, mv(0)),
        ...get(buf), ...get(kb), ...add, ...set(buf),
      ]),
    ],
  };
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  return assemble({
    fns: [dotFn(), gemvFn(), stepFn(), lincombFn(), zeroFn(), solveFn(), gramFn(), weightsFn('indexed'), weightsFn('contiguous'), axpysFn('indexed'), axpysFn('contiguous'), copyRowsFn()],
    // env.mem: shared memory, min 1 page, max 65536 pages (4 GiB)
    memory: { module: 'env', name: 'mem', minPages: 1, maxPages: 65536 },
    exports: { solve: F_SOLVE, gram: F_GRAM },
  });
}

export interface SimdKernel {
  memory: WebAssembly.Memory;
  solve(x: number, y: number, ptr: number, idx: number, val: number, lam: number, g: number, scratch: number, rowStart: number, rowEnd: number, k: number, steps: number, alpha0: number, buf: number, cap: number): void;
  gram(y: number, rowStart: number, rowEnd: number, k: number, out: number): void;
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled module, or null where WASM SIMD or shared memory is unavailable. */
function kernelModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

export function simdAvailable(): boolean {
  return kernelModule() !== null;
}

/** A shared memory of `bytes` (rounded up to 64 KiB pages), or null when it cannot be had. */
export function createSharedMemory(bytes: number): WebAssembly.Memory | null {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) return null;
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return null;
  }
}

/** Instantiate the kernel on `memory` (a shared WebAssembly.Memory), or null without WASM SIMD. */
export function createSimdKernel(memory: WebAssembly.Memory): SimdKernel | null {
  const mod = kernelModule();
  if (!mod) return null;
  const ex = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as Omit<SimdKernel, 'memory'>;
  return { memory, solve: ex.solve, gram: ex.gram };
}
