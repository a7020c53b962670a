/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such
 * as the softmax head. `evaluate` returns the loss and writes the gradient into `grad`.
 *
 * The history lives in preallocated ring buffers and each two-loop pass fuses one update with the
 * next dot product, so a step costs about 2m + 8 passes over the parameters and allocates nothing
 * (the arithmetic, and so the result, is the same as the plain two-loop recursion).
 */
export async function minimiseLbfgs(
  x: Float64Array,
  evaluate: (x: Float64Array, grad: Float64Array) => Promise<number>,
  options: { maxIterations?: number; memory?: number; tolerance?: number } = {},
): Promise<{ loss: number; iterations: number }> {
  const maxIterations = options.maxIterations ?? 100;
  const m = options.memory ?? 8;
  const tolerance = options.tolerance ?? 1e-5;
  const n = x.length;
  const grad = new Float64Array(n);
  let loss = await evaluate(x, grad);
  // Ring buffers: entry k (0 = oldest) of `count` lives at slot (start + k) % m.
  const sBuf: Float64Array[] = [];
  const yBuf: Float64Array[] = [];
  const rho = new Float64Array(m);
  let start = 0;
  let count = 0;
  const slot = (k: number) => (start + k) % m;
  const direction = new Float64Array(n);
  const alpha = new Float64Array(m);
  const xNew = new Float64Array(n);
  const gradNew = new Float64Array(n);
  let sSpare: Float64Array = new Float64Array(n);
  let ySpare: Float64Array = new Float64Array(n);
  let iter = 0;
  for (; iter < maxIterations; iter++) {
    // Two-loop recursion: direction = -H * grad.
    for (let i = 0; i < n; i++) direction[i] = -grad[i];
    if (count > 0) {
      // First loop, newest to oldest: alpha_k = rho_k s_k·q; q -= alpha_k y_k.
      let k = count - 1;
      alpha[k] = rho[slot(k)] * dot(sBuf[slot(k)], direction);
      for (; k > 0; k--) {
        const y = yBuf[slot(k)];
        const sNext = sBuf[slot(k - 1)];
        const a = alpha[k];
        let s = 0;
        for (let i = 0; i < n; i++) {
          const q = direction[i] - a * y[i];
          direction[i] = q;
          s += sNext[i] * q;
        }
        alpha[k - 1] = rho[slot(k - 1)] * s;
      }
      axpy(-alpha[0], yBuf[slot(0)], direction);
      const newest = slot(count - 1);
      const gamma = dot(sBuf[newest], yBuf[newest]) / dot(yBuf[newest], yBuf[newest]);
      // Second loop, oldest to newest: beta_k = rho_k y_k·r; r += (alpha_k - beta_k) s_k.
      let beta = 0;
      {
        const y0 = yBuf[slot(0)];
        for (let i = 0; i < n; i++) {
          const r = direction[i] * gamma;
          direction[i] = r;
          beta += y0[i] * r;
        }
        beta *= rho[slot(0)];
      }
      for (k = 0; k < count - 1; k++) {
        const s = sBuf[slot(k)];
        const yNext = yBuf[slot(k + 1)];
        const c = alpha[k] - beta;
        let b = 0;
        for (let i = 0; i < n; i++) {
          const r = direction[i] + c * s[i];
          direction[i] = r;
          b += yNext[i] * r;
        }
        beta = rho[slot(k + 1)] * b;
      }
      axpy(alpha[count - 1] - beta, sBuf[slot(count - 1)], direction);
    }
    let slope = dot(direction, grad);
    if (slope >= 0) {
      for (let i = 0; i < n; i++) direction[i] = -grad[i];
      slope = dot(direction, grad);
      count = 0;
      start = 0;
    }
    let step = iter === 0 ? 1 / Math.max(1, Math.sqrt(dot(grad, grad))) : 1;
    let newLoss = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * direction[i];
      newLoss = await evaluate(xNew, gradNew);
      if (newLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(newLoss < loss)) break;
    // The new pair is built in the spare buffers and swapped into the ring only if it is kept.
    let sy = 0;
    for (let i = 0; i < n; i++) {
      const si = xNew[i] - x[i];
      const yi = gradNew[i] - grad[i];
      sSpare[i] = si;
      ySpare[i] = yi;
      sy += si * yi;
    }
    if (sy > 1e-12) {
      // Into the next free slot, or over the oldest when full.
      const target = count < m ? slot(count) : start;
      [sBuf[target], sSpare] = [sSpare, sBuf[target] ?? new Float64Array(n)];
      [yBuf[target], ySpare] = [ySpare, yBuf[target] ?? new Float64Array(n)];
      rho[target] = 1 / sy;
      if (count < m) count++;
      else start = (start + 1) % m;
    }
    x.set(xNew);
    grad.set(gradNew);
    const improvement = loss - newLoss;
    loss = newLoss;
    if (improvement < tolerance * Math.max(1, Math.abs(loss))) break;
  }
  return { loss, iterations: iter };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] += a * x[i];
}
