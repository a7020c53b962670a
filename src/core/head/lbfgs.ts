/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such
 * as the softmax head. `evaluate` returns the loss and writes the gradient into `grad`.
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
  const sHist: Float64Array[] = [];
  const yHist: Float64Array[] = [];
  const rhoHist: number[] = [];
  const direction = new Float64Array(n);
  const alpha = new Float64Array(m);
  const xNew = new Float64Array(n);
  const gradNew = new Float64Array(n);
  let iter = 0;
  for (; iter < maxIterations; iter++) {
    // Two-loop recursion: direction = -H * grad.
    for (let i = 0; i < n; i++) direction[i] = -grad[i];
    for (let k = sHist.length - 1; k >= 0; k--) {
      alpha[k] = rhoHist[k] * dot(sHist[k], direction);
      axpy(-alpha[k], yHist[k], direction);
    }
    if (sHist.length > 0) {
      const last = sHist.length - 1;
      const gamma = dot(sHist[last], yHist[last]) / dot(yHist[last], yHist[last]);
      for (let i = 0; i < n; i++) direction[i] *= gamma;
    }
    for (let k = 0; k < sHist.length; k++) {
      const beta = rhoHist[k] * dot(yHist[k], direction);
      axpy(alpha[k] - beta, sHist[k], direction);
    }
    let slope = dot(direction, grad);
    if (slope >= 0) {
      for (let i = 0; i < n; i++) direction[i] = -grad[i];
      slope = dot(direction, grad);
      sHist.length = yHist.length = rhoHist.length = 0;
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
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i] - x[i];
      y[i] = gradNew[i] - grad[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (sHist.length === m) {
        sHist.shift();
        yHist.shift();
        rhoHist.shift();
      }
      sHist.push(s);
      yHist.push(y);
      rhoHist.push(1 / sy);
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
