/**
 * Training kernels for the wasm backend (the README's Performance section says why they exist;
 * chapter 04-dcgan explains the transposed convolution that the input gradient computes).
 *
 * TensorFlow.js's wasm backend runs conv2d fast (XNNPACK, ~15 GFLOP/s on one core) but has no
 * `Conv2DBackpropFilter` kernel (tfjs issue 8474), so conv nets cannot be trained on it, and its
 * `Conv2DBackpropInput` (every conv2dTranspose in a generator) is a plain loop at ~4 GFLOP/s.
 * Both gradients are rewritten here as XNNPACK convolutions:
 *
 * - filter gradient: dW[i,j,ci,co] = sum_{b,oy,ox} x[b, oy*s+i-pad, ox*s+j-pad, ci] * dy[b,oy,ox,co]
 *   is a stride-1 convolution of x transposed to [Ci, H, W, B] with dy transposed to
 *   [OH, OW, B, Co] as the filter, dilated by the forward stride; its output is [Ci, kh, kw, Co].
 * - input gradient (transposed convolution): for stride s, the output rows y with the same
 *   (y + padTop) mod s receive exactly the filter taps i ≡ (y + padTop) mod s, so dx splits into
 *   s*s "phases", each a stride-1 convolution of dy with a sub-filter (those taps, reversed, in and
 *   out channels swapped). The phases are interleaved back with a transpose. No multiply is spent
 *   on the zeros a dilated dy would hold. For 1-4 input channels (where XNNPACK's convolutions are
 *   slow), one matrix product of dy with the filter, scattered into dx (col2im), instead.
 * - BatchMatMul with a transposed operand: transposed first, then multiplied at full speed.
 * - Conv2D and FusedConv2D with `same` padding: the stock kernels hand XNNPACK TensorFlow's "same"
 *   flag, which returns zeros for some shapes with unequal strides (x [1, 5, 4, 1], filter
 *   [2, 1, 1, 1], strides [1, 2] gives 0, 0, ... where the cpu backend gives 6, 10, ...). They are
 *   wrapped to pass the same padding as explicit numbers, which XNNPACK gets right for every shape.
 * - LeakyRelu, Sum and Mean over leading axes, and batch norm: scalar loops in the wasm backend,
 *   rebuilt from its fast kernels (Step and Multiply, AvgPool, Sub and a 1x1 depthwise convolution).
 * - Identity, and Cast to the same dtype: the wasm backend copies the tensor; here the result shares
 *   the input's memory, as on the cpu and webgl backends (tensors are immutable).
 * - GatherV2 of rows (axis 0): the stock kernel indexes element by element; here one copy per row.
 *
 * Kernels call the wasm backend's own kernels directly (not tf ops, which would record on the
 * gradient tape) and free every intermediate with `disposeData`.
 */
import * as tf from "@tensorflow/tfjs";
import { registerBackendHook } from "./backend";

type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;

/** The parts of the wasm backend (BackendWasm) these kernels use. */
interface WasmBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** Runs the wasm backend's own kernel `name` on tensor infos (no tape, no engine bookkeeping). */
function run(backend: WasmBackend, name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Attrs = {}): TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`ganbook's wasm kernels need the wasm backend's ${name} kernel, which is not registered`);
  return kernel.kernelFunc({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as TensorInfo;
}

function free(backend: WasmBackend, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Explicit NHWC padding for the wasm Conv2D kernel. */
function explicitPad(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

function conv(backend: WasmBackend, x: TensorInfo, filter: TensorInfo, pad: tf.backend_util.ExplicitPadding, dilations: [number, number] = [1, 1]): TensorInfo {
  return run(backend, "Conv2D", { x, filter }, { strides: [1, 1], pad, dataFormat: "NHWC", dilations, dimRoundingMode: undefined });
}

function convInfoOf(xShape: number[], filterShape: number[], attrs: Attrs): tf.backend_util.Conv2DInfo {
  const dataFormat = (attrs.dataFormat as string) ?? "NHWC";
  if (dataFormat !== "NHWC") throw new Error(`ganbook's wasm conv kernels support dataFormat NHWC only; got ${dataFormat}`);
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as "same" | "valid" | tf.backend_util.ExplicitPadding,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
}

/**
 * Conv2DBackpropFilter: dW [kh, kw, Ci, Co] from x [B, H, W, Ci] and dy [B, OH, OW, Co].
 */
export function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const filterShape = args.attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, args.attrs);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const { outHeight: oh, outWidth: ow, padInfo } = info;

  const xT = run(backend, "Transpose", { x }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, B]
  const dyT = run(backend, "Transpose", { x: dy }, { perm: [1, 2, 0, 3] }); // [OH, OW, B, Co]
  // Pad after just enough for a kh x kw output; rows of x no output reads are sliced off below.
  const bottom = Math.max(0, kh + sh * (oh - 1) - h - padInfo.top);
  const right = Math.max(0, kw + sw * (ow - 1) - w - padInfo.left);
  const full = conv(backend, xT, dyT, explicitPad(padInfo.top, bottom, padInfo.left, right), [sh, sw]); // [Ci, >=kh, >=kw, Co]
  free(backend, xT, dyT);
  let grad = full;
  if (full.shape[1] !== kh || full.shape[2] !== kw) {
    grad = run(backend, "Slice", { x: full }, { begin: [0, 0, 0, 0], size: [full.shape[0], kh, kw, full.shape[3]] });
    free(backend, full);
  }
  const out = run(backend, "Transpose", { x: grad }, { perm: [1, 2, 0, 3] }); // [kh, kw, Ci, Co]
  free(backend, grad);
  return out;
}

/**
 * Up to this many input channels, {@link conv2DBackpropInput} scatters a matrix product instead of
 * running phase convolutions: XNNPACK's convolutions with 1 to 4 output channels run at a few
 * GFLOP/s (a generator's last layer, [64, 14, 14, 32] -> [64, 28, 28, 1]: 5.3 ms a call, 1.8 so).
 */
const MAX_SCATTER_CHANNELS = 4;
/** The largest matrix of patch contributions (elements) the scatter form builds: 32 MB of the wasm heap. */
const MAX_PATCH_ELEMENTS = 8 * 2 ** 20;

/**
 * The input gradient for few input channels: every dy pixel's contribution to each filter tap,
 * cols [P = B*OH*OW, K = kh*kw*Ci] = dy [P, Co] · Wᵀ [Co, K] (one matrix product), then added into
 * dx at the pixel each tap reaches (col2im): dx[b, oy*sh + i - top, ox*sw + j - left, c] +=
 * cols[(b, oy, ox), (i, j, c)], skipping taps that fall in the padding.
 */
function inputGradientByScatter(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, info: tf.backend_util.Conv2DInfo): TensorInfo {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w, inChannels: ci } = info;
  const { outHeight: oh, outWidth: ow, outChannels: co, batchSize: b, padInfo } = info;
  const [p, k] = [b * oh * ow, kh * kw * ci];
  const wT = run(backend, "Transpose", { x: { ...filter, shape: [k, co] } }, { perm: [1, 0] }); // [Co, K]
  const cols = stock.BatchMatMul!.kernelFunc({
    inputs: { a: { ...dy, shape: [1, p, co] }, b: { ...wT, shape: [1, co, k] } } as unknown as tf.NamedTensorInfoMap,
    backend: backend as unknown as tf.KernelBackend,
    attrs: { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
  }) as TensorInfo; // [1, P, K]
  free(backend, wT);
  const dx = backend.makeOutput([b, h, w, ci], "float32");
  const src = backend.typedArrayFromHeap(cols);
  const dst = backend.typedArrayFromHeap(dx);
  dst.fill(0);
  // Tap by tap, over the dy pixels whose tap lands inside dx (no test per pixel). Taps run from the
  // last to the first, so every dx element adds its terms in order of (oy, ox), as a loop over the
  // dy pixels would: the same sums to the bit.
  const { top, left } = padInfo;
  for (let i = kh - 1; i >= 0; i--) {
    const [oyFirst, oyLast] = [Math.max(0, Math.ceil((top - i) / sh)), Math.min(oh - 1, Math.floor((h - 1 + top - i) / sh))];
    for (let j = kw - 1; j >= 0; j--) {
      const [oxFirst, oxLast] = [Math.max(0, Math.ceil((left - j) / sw)), Math.min(ow - 1, Math.floor((w - 1 + left - j) / sw))];
      const tap = (i * kw + j) * ci;
      for (let n = 0; n < b; n++) {
        for (let oy = oyFirst; oy <= oyLast; oy++) {
          let from = ((n * oh + oy) * ow + oxFirst) * k + tap;
          let to = ((n * h + oy * sh + i - top) * w + oxFirst * sw + j - left) * ci;
          for (let ox = oxFirst; ox <= oxLast; ox++, from += k, to += sw * ci) {
            for (let c = 0; c < ci; c++) dst[to + c] += src[from + c];
          }
        }
      }
    }
  }
  free(backend, cols);
  return dx;
}

/** The taps of one phase along one axis: filter indices r, r+s, ... < k. */
function phaseTaps(r: number, s: number, k: number): number {
  return r >= k ? 0 : Math.ceil((k - r) / s);
}

/**
 * Conv2DBackpropInput (also conv2dTranspose's forward pass): dx [B, H, W, Ci] from
 * dy [B, OH, OW, Co] and filter [kh, kw, Ci, Co], as stride-1 phase convolutions.
 */
export function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
  const inputShape = args.attrs.inputShape as number[];
  const info = convInfoOf(inputShape, filter.shape, args.attrs);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const { outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, batchSize: b, padInfo } = info;
  if (ci <= MAX_SCATTER_CHANNELS && b * oh * ow * kh * kw * ci <= MAX_PATCH_ELEMENTS) return inputGradientByScatter(backend, dy, filter, info);
  const nh = Math.ceil(h / sh); // rows per phase (the last phases may hold one row past H: sliced off)
  const nw = Math.ceil(w / sw);

  // The filter with its channels swapped, [kh, kw, Co, Ci]: every phase's sub-filter is a set of
  // its taps, each a contiguous [Co, Ci] block (one wasm transpose, then block copies, where an
  // element-by-element JavaScript loop took 0.5 ms a call for a [4, 4, 32, 64] filter).
  const swapped = run(backend, "Transpose", { x: filter }, { perm: [0, 1, 3, 2] });
  const dx = sh * sw === 1 ? cropTo(phaseConv(0, 0)) : interleavedPhases();
  free(backend, swapped);
  return dx;

  /**
   * Each phase scattered straight into dx [B, H, W, Ci] (rows y = ph + sh*k < H, columns
   * x = pw + sw*l < W), one pixel's Ci values at a time, by `copyWithin` on the wasm heap (both
   * tensors live in it): for these sizes it beats the wasm Concat kernel (element-wise JavaScript),
   * a rank-6 wasm Transpose, and an element loop (0.25 against 0.52 ms for [64, 14, 14, 32]).
   */
  function interleavedPhases(): TensorInfo {
    const out = backend.makeOutput([b, h, w, ci], "float32");
    for (let ph = 0; ph < sh; ph++) {
      for (let pw = 0; pw < sw; pw++) {
        const phase = phaseConv(ph, pw);
        // Views of the heap are taken after the conv: a heap that grew detaches older views.
        const src = backend.typedArrayFromHeap(phase);
        const heap = new Float32Array(src.buffer);
        const [first, start] = [src.byteOffset / 4, backend.typedArrayFromHeap(out).byteOffset / 4];
        for (let n = 0; n < b; n++) {
          for (let k = 0, y = ph; k < nh && y < h; k++, y += sh) {
            for (let l = 0, x = pw; l < nw && x < w; l++, x += sw) {
              const from = first + ((n * nh + k) * nw + l) * ci;
              heap.copyWithin(start + ((n * h + y) * w + x) * ci, from, from + ci);
            }
          }
        }
        free(backend, phase);
      }
    }
    return out;
  }

  /** The stride-1 case: one phase of [B, nh, nw, Ci] = [B, H, W, Ci]. */
  function cropTo(phase: TensorInfo): TensorInfo {
    if (phase.shape[1] === h && phase.shape[2] === w) return phase;
    const cut = run(backend, "Slice", { x: phase }, { begin: [0, 0, 0, 0], size: [b, h, w, ci] });
    free(backend, phase);
    return cut;
  }

  /** Output rows y = ph + sh*k (k < nh), columns x = pw + sw*l: a [B, nh, nw, Ci] tensor. */
  function phaseConv(ph: number, pw: number): TensorInfo {
    const rh = (ph + padInfo.top) % sh;
    const rw = (pw + padInfo.left) % sw;
    const mh = phaseTaps(rh, sh, kh);
    const mw = phaseTaps(rw, sw, kw);
    const q0h = (ph + padInfo.top - rh) / sh; // dy row feeding output row ph through tap rh
    const q0w = (pw + padInfo.left - rw) / sw;
    // dy rows [q0h - (mh-1), q0h + nh - 1] produce nh output rows; clip to dy, pad the rest.
    const [top, rowStart, rowEnd, bottom] = window(q0h - (mh - 1), q0h + nh - 1, oh);
    const [left, colStart, colEnd, right] = window(q0w - (mw - 1), q0w + nw - 1, ow);
    if (mh === 0 || mw === 0 || rowStart > rowEnd || colStart > colEnd) {
      return run(backend, "Fill", {}, { shape: [b, nh, nw, ci], value: 0, dtype: "float32" });
    }
    // Sub-filter [mh, mw, Co, Ci]: taps rh + sh*(mh-1-m), reversed, channels swapped.
    const subFilter = backend.makeOutput([mh, mw, co, ci], "float32");
    const taps = backend.typedArrayFromHeap(swapped); // views after makeOutput: a heap that grew detaches older views
    const sub = backend.typedArrayFromHeap(subFilter);
    const block = co * ci;
    for (let m = 0; m < mh; m++) {
      for (let n = 0; n < mw; n++) {
        const tap = (rh + sh * (mh - 1 - m)) * kw + (rw + sw * (mw - 1 - n));
        sub.set(taps.subarray(tap * block, (tap + 1) * block), (m * mw + n) * block);
      }
    }
    const whole = rowStart === 0 && rowEnd === oh - 1 && colStart === 0 && colEnd === ow - 1;
    const input = whole
      ? dy
      : run(backend, "Slice", { x: dy }, { begin: [0, rowStart, colStart, 0], size: [b, rowEnd - rowStart + 1, colEnd - colStart + 1, co] });
    const out = conv(backend, input, subFilter, explicitPad(top, bottom, left, right));
    free(backend, subFilter);
    if (!whole) free(backend, input);
    return out;
  }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}

/**
 * For wanted rows [start, end] of an axis of length n: [pad before, first row, last row, pad after]
 * with the rows clipped to [0, n-1] and the rest supplied as zero padding.
 */
function window(start: number, end: number, n: number): [number, number, number, number] {
  const first = Math.max(0, start);
  const last = Math.min(n - 1, end);
  return [first - start, first, last, end - last];
}

/** The wasm backend's own kernels that ganbook's replacements wrap, captured before replacing them. */
const stock: Partial<Record<string, tf.KernelConfig>> = {};

/**
 * BatchMatMul with transposed operands: the stock wasm kernel runs a·bᵀ and aᵀ·b about 10x slower
 * than a·b (1.8 vs 18 GFLOP/s for [100, 64]ᵀ·[64, 12544]), and every dense layer's gradients are
 * such products (dW = xᵀ·dy, dx = dy·Wᵀ). Transposing the operand first costs a copy and runs the
 * product at full speed.
 */
export function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const base = stock.BatchMatMul!.kernelFunc as (x: unknown) => TensorInfo;
  if (!transposeA && !transposeB) return base(args);
  // Transposing costs about one element copy per ~5 multiply-adds of the slow path; for products
  // smaller than that (a dense layer with one output unit), the stock kernel is quicker.
  const [m, k] = transposeA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
  const batch = Math.max(sizeOf(a.shape.slice(0, -2)), sizeOf(b.shape.slice(0, -2)));
  const copied = (transposeA ? sizeOf(a.shape) : 0) + (transposeB ? sizeOf(b.shape) : 0);
  if (2 * batch * m * n * k < 5 * copied) return base(args);
  const swapLast = (x: TensorInfo) => {
    const perm = x.shape.map((_, i) => i);
    [perm[perm.length - 2], perm[perm.length - 1]] = [perm[perm.length - 1], perm[perm.length - 2]];
    return run(backend, "Transpose", { x }, { perm });
  };
  const a2 = transposeA ? swapLast(a) : a;
  const b2 = transposeB ? swapLast(b) : b;
  const out = base({ inputs: { a: a2, b: b2 }, backend: args.backend, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
  if (transposeA) free(backend, a2);
  if (transposeB) free(backend, b2);
  return out;
}

/**
 * Conv2D / FusedConv2D with `pad: "same"` rewritten as the equivalent explicit padding (see the
 * header: the stock kernels' "same" path is wrong for some unequal strides). Other paddings and
 * every other attribute go through unchanged.
 */
function explicitSamePadding(name: "Conv2D" | "FusedConv2D"): tf.KernelFunc {
  return (args) => {
    const base = stock[name]!.kernelFunc;
    const attrs = args.attrs as Attrs;
    if (attrs.pad !== "same") return base(args);
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const dataFormat = (attrs.dataFormat as string) ?? "NHWC";
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides as [number, number],
      (attrs.dilations as [number, number] | undefined) ?? 1,
      "same",
      undefined,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat as "NHWC" | "NCHW"),
    );
    const { top, bottom, left, right } = info.padInfo;
    const pad: tf.backend_util.ExplicitPadding = dataFormat === "NHWC" ? explicitPad(top, bottom, left, right) : [[0, 0], [0, 0], [top, bottom], [left, right]];
    return base({ ...args, attrs: { ...args.attrs, pad } as tf.NamedAttrMap });
  };
}

const conv2D = explicitSamePadding("Conv2D");
const fusedConv2D = explicitSamePadding("FusedConv2D");

// Elementwise and reduction kernels the wasm backend runs as scalar loops, rewritten with its fast
// (XNNPACK) ones. `npm run profile` found them at a fifth of the course DCGAN's step: LeakyRelu 2.1 ms
// for a [64, 14, 14, 32] tensor where Relu takes 0.08, a sum over [N, H, W] 0.9 ms, batch norm 1.4.

/**
 * LeakyRelu as x * step(x, alpha): step is 1 where x > 0 and alpha elsewhere, so the product is x or
 * alpha * x, the same numbers as the stock kernel's, in two SIMD passes (0.17 ms instead of 2.1).
 */
function leakyRelu(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype !== "float32") return stock.LeakyRelu!.kernelFunc(args) as TensorInfo;
  const slope = run(backend, "Step", { x }, { alpha: args.attrs.alpha });
  const out = run(backend, "Multiply", { a: x, b: slope });
  free(backend, slope);
  return out;
}

/**
 * Identity (tf.clone, and the gradient tape's pass-through gradients) without a copy: the result
 * shares x's memory, counted by the backend's reference count as Reshape's result is, which the cpu
 * and webgl backends do too. The stock wasm kernel copies: 216 calls and 8 ms of the course DCGAN's
 * step. Strings go to the stock kernel.
 */
function identity(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  if (x.dtype === "string") return stock.Identity!.kernelFunc(args) as TensorInfo;
  (args.backend as unknown as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Cast to x's own dtype is an Identity (tf.layers casts its inputs to float32); other casts go to the stock kernel. */
function cast(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const { x } = args.inputs as { x: TensorInfo };
  return args.attrs.dtype === x.dtype ? identity(args) : (stock.Cast!.kernelFunc(args) as TensorInfo);
}

/**
 * Sum and Mean over leading axes (x [R..., C...] reduced over the R axes: a bias's or batch norm's
 * gradient over [N, H, W]) as XNNPACK's average pooling of x seen as [1, N, R/N, C] with one window
 * over all of it (times R for Sum). The stock kernels transpose x first and then add in a scalar
 * loop: 0.9 ms against 0.11 for [64, 14, 14, 32]. (A matrix product with a row of ones would be
 * quicker still if x were a reused weight; for a fresh x the wasm backend repacks it every call.)
 * Other axes, fewer than 8 columns and integer tensors go to the stock kernels.
 */
function reduceLeading(name: "Sum" | "Mean"): tf.KernelFunc {
  return (args) => {
    const backend = args.backend as unknown as WasmBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const r = sizeOf(x.shape.slice(0, axes.length));
    const c = sizeOf(x.shape.slice(axes.length));
    const leading = axes.length > 0 && axes.every((a, i) => a === i);
    if (x.dtype !== "float32" || !leading || c < 8 || r < 2) return stock[name]!.kernelFunc(args) as TensorInfo;
    const [n, rest] = [x.shape[0], r / x.shape[0]];
    const mean = run(backend, "AvgPool", { x: { ...x, shape: [1, n, rest, c] } }, { filterSize: [n, rest], strides: [1, 1], pad: "valid", dimRoundingMode: undefined }); // [1, 1, 1, C]
    let out = mean;
    if (name === "Sum") {
      const count = backend.makeOutput([], "float32", undefined, Float32Array.of(r));
      out = run(backend, "Multiply", { a: mean, b: count });
      free(backend, mean, count);
    }
    const shape = keepDims ? x.shape.map((d, i) => (i < axes.length ? 1 : d)) : x.shape.slice(axes.length);
    return { ...out, shape };
  };
}

const sumKernel = reduceLeading("Sum");
const meanKernel = reduceLeading("Mean");

/**
 * Batch norm y = (x - mean) * scale / sqrt(variance + eps) + offset, with every statistic [C] over
 * x [..., C], as a broadcast Sub and a 1x1 depthwise convolution (a per-channel multiply) with the
 * offset as its bias: 0.48 ms against 1.45 for [64, 14, 14, 32]. Other shapes go to the stock kernel.
 */
function fusedBatchNorm(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
  const c = x!.shape.at(-1) ?? 0;
  const perChannel = [mean, variance, offset, scale].every((t) => !t || sizeOf(t.shape) === c);
  if (x!.dtype !== "float32" || x!.shape.length < 2 || !perChannel) return stock.FusedBatchNorm!.kernelFunc(args) as TensorInfo;
  const epsilon = args.attrs.varianceEpsilon as number;
  const v = backend.typedArrayFromHeap(variance!);
  const g = scale && backend.typedArrayFromHeap(scale);
  const factor = new Float32Array(c);
  for (let i = 0; i < c; i++) factor[i] = (g ? g[i] : 1) / Math.sqrt(v[i] + epsilon);
  const filter = backend.makeOutput([1, 1, c, 1], "float32", undefined, factor);
  const bias = offset && backend.makeOutput([c], "float32", undefined, backend.typedArrayFromHeap(offset).slice());
  const r = sizeOf(x!.shape) / c;
  const centred = run(backend, "Sub", { a: x!, b: { ...mean!, shape: [c] } }); // [..., C]
  const out = run(backend, "FusedDepthwiseConv2D", { x: { ...centred, shape: [1, r, 1, c] }, filter, ...(bias ? { bias } : {}) }, {
    strides: [1, 1], pad: "valid", dilations: [1, 1], dataFormat: "NHWC", dimRoundingMode: undefined, activation: "linear",
  });
  free(backend, centred, filter, ...(bias ? [bias] : []));
  return { ...out, shape: x!.shape };
}

/**
 * GatherV2 along axis 0 (a batch of rows: the trainer's real images every update) as one copy per
 * row, out of the heap into the output. The stock kernel computes every element's four-dimensional
 * index in a scalar loop: 1.7 ms for 64 MNIST images, where the row copies take a few microseconds.
 * Other axes, batchDims, dtypes and empty tensors go to the stock kernel.
 */
function gatherRows(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): TensorInfo {
  const backend = args.backend as unknown as WasmBackend;
  const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
  const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
  const rowAxis = x.shape.length > 0 && tf.util.parseAxisParam(axis, x.shape)[0] === 0;
  const row = sizeOf(x.shape.slice(1));
  if (!rowAxis || batchDims !== 0 || x.dtype !== "float32" || indices.dtype !== "int32" || row === 0 || x.shape[0] === 0) return stock.GatherV2!.kernelFunc(args) as TensorInfo;
  const rows = x.shape[0];
  const which = (backend.typedArrayFromHeap(indices) as unknown as Int32Array).slice();
  for (const i of which) tf.util.assert(i >= 0 && i <= rows - 1, () => `GatherV2: the index value ${i} is not in [0, ${rows - 1}]`);
  const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], "float32");
  // Views of the heap after makeOutput: a heap that grew detaches older views.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  which.forEach((i, k) => dst.set(src.subarray(i * row, (i + 1) * row), k * row));
  return out;
}

/** The kernels ganbook adds or replaces on the wasm backend. */
export const WASM_TRAINING_KERNELS = ["Conv2DBackpropFilter", "Conv2DBackpropInput", "BatchMatMul", "Conv2D", "FusedConv2D", "LeakyRelu", "Sum", "Mean", "FusedBatchNorm", "Identity", "Cast", "GatherV2"] as const;

/**
 * Registers ganbook's training kernels for the wasm backend (adding Conv2DBackpropFilter, replacing
 * the slow stock Conv2DBackpropInput, LeakyRelu, Sum, Mean, FusedBatchNorm and GatherV2, and the
 * copying Identity and same-dtype Cast, wrapping BatchMatMul,
 * and Conv2D / FusedConv2D for `same`). Called automatically when ganbook selects wasm; safe to call
 * again. Returns the kernel names.
 */
export function registerWasmTrainingKernels(): string[] {
  const impls: Record<(typeof WASM_TRAINING_KERNELS)[number], tf.KernelFunc> = {
    Conv2DBackpropFilter: conv2DBackpropFilter as unknown as tf.KernelFunc,
    Conv2DBackpropInput: conv2DBackpropInput as unknown as tf.KernelFunc,
    BatchMatMul: batchMatMul as unknown as tf.KernelFunc,
    Conv2D: conv2D,
    FusedConv2D: fusedConv2D,
    LeakyRelu: leakyRelu as unknown as tf.KernelFunc,
    Sum: sumKernel,
    Mean: meanKernel,
    FusedBatchNorm: fusedBatchNorm as unknown as tf.KernelFunc,
    Identity: identity as unknown as tf.KernelFunc,
    Cast: cast as unknown as tf.KernelFunc,
    GatherV2: gatherRows as unknown as tf.KernelFunc,
  };
  for (const name of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(name, "wasm");
    if (existing?.kernelFunc === impls[name]) continue;
    if (existing) {
      stock[name] = existing;
      tf.unregisterKernel(name, "wasm");
    }
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: impls[name] });
  }
  return [...WASM_TRAINING_KERNELS];
}

/**
 * Puts the stock wasm kernels back (so conv nets cannot train: there is no Conv2DBackpropFilter),
 * for benchmarks and tests that compare; undo with registerWasmTrainingKernels.
 */
export function useStockWasmKernels(): void {
  for (const name of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
    const original = stock[name];
    if (original) tf.registerKernel(original);
  }
}

registerBackendHook("wasm", registerWasmTrainingKernels);
