/**
 * HDBSCAN on small hand-made point sets, and the map renderer's output.
 *   node --import tsx --test test/unit/eval-hdbscan.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '../../src/core/eval/random.ts';
import { cosineDistances, hdbscan } from '../../src/core/map/hdbscan.ts';
import { renderMapHtml, renderMapSvg, type MapPoint } from '../../src/core/map/render.ts';

function euclidean(points: number[][]): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) d[i * n + j] = Math.hypot(...points[i].map((x, k) => x - points[j][k]));
  return d;
}

describe('hdbscan', () => {
  test('three blobs of different spread, plus stragglers', () => {
    const random = seededRandom(3);
    const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const centres: Array<[number, number, number]> = [
      [0, 0, 0.3],
      [10, 0, 0.8],
      [0, 12, 1.5],
    ];
    const points: number[][] = [];
    const truth: number[] = [];
    centres.forEach(([cx, cy, s], c) => {
      for (let i = 0; i < 25; i++) {
        points.push([cx + s * gauss(), cy + s * gauss()]);
        truth.push(c);
      }
    });
    // Stragglers, far apart: fewer than a cluster's worth, and in no dense region.
    for (const p of [
      [40, -30],
      [-35, 40],
      [45, 45],
      [-40, -40],
    ]) {
      points.push(p);
      truth.push(-1);
    }
    const { labels, clusters } = hdbscan(euclidean(points), points.length, { minClusterSize: 5, minSamples: 3 });
    assert.equal(clusters, 3);
    // Each blob is one cluster and no cluster mixes blobs.
    for (let c = 0; c < 3; c++) {
      const found = new Set(truth.map((t, i) => (t === c ? labels[i] : -2)).filter((l) => l !== -2 && l >= 0));
      assert.equal(found.size, 1, `blob ${c} split over ${[...found]}`);
      const members = truth.filter((t, i) => t === c && labels[i] >= 0).length;
      assert.ok(members >= 22, `blob ${c}: only ${members} of 25 clustered`);
    }
    for (let l = 0; l < 3; l++) assert.equal(new Set(truth.filter((t, i) => labels[i] === l && t >= 0)).size, 1);
    // The stragglers stay noise.
    assert.ok(truth.every((t, i) => t >= 0 || labels[i] === -1));
  });

  test('one dense group: noise by default, one cluster with allowSingleCluster, stragglers left out', () => {
    const random = seededRandom(5);
    const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const points: number[][] = [];
    // Too few to split into two groups of minClusterSize: HDBSCAN alone sees only its root.
    for (let i = 0; i < 8; i++) points.push([0.3 * gauss(), 0.3 * gauss()]);
    const stragglers = [
      [40, -30],
      [-35, 40],
      [45, 45],
    ];
    points.push(...stragglers);
    const d = euclidean(points);
    assert.equal(hdbscan(d, points.length, { minClusterSize: 5, minSamples: 3 }).clusters, 0);
    const { labels, clusters } = hdbscan(d, points.length, {
      minClusterSize: 5,
      minSamples: 3,
      allowSingleCluster: true,
    });
    assert.equal(clusters, 1);
    assert.ok(labels.slice(0, 8).filter((l) => l === 0).length >= 7);
    assert.deepEqual([...labels.slice(8)], [-1, -1, -1]);
  });

  test('the same groups whatever the distance scale (no threshold to tune)', () => {
    const points = [
      [0, 0],
      [0.1, 0],
      [0, 0.1],
      [0.1, 0.1],
      [5, 5],
      [5.1, 5],
      [5, 5.1],
      [5.1, 5.1],
    ];
    const small = hdbscan(euclidean(points), 8, { minClusterSize: 3, minSamples: 2 });
    const big = hdbscan(euclidean(points.map((p) => p.map((x) => x * 1000))), 8, { minClusterSize: 3, minSamples: 2 });
    assert.equal(small.clusters, 2);
    assert.deepEqual(Array.from(big.labels), Array.from(small.labels));
    assert.deepEqual(
      Array.from(small.labels),
      [0, 0, 0, 0, 1, 1, 1, 1].map((x) => (small.labels[0] === 0 ? x : 1 - x)),
    );
  });

  test('too few points, or one blob only: no clusters', () => {
    assert.equal(
      hdbscan(
        euclidean([
          [0, 0],
          [1, 1],
        ]),
        2,
        { minClusterSize: 3 },
      ).clusters,
      0,
    );
    const blob = Array.from({ length: 12 }, (_, i) => [Math.cos(i), Math.sin(i)]);
    assert.equal(hdbscan(euclidean(blob), 12, { minClusterSize: 3, minSamples: 3 }).clusters <= 1 ? 0 : 1, 0);
  });

  test('cosine distances of unit vectors', async () => {
    const s = Math.SQRT1_2;
    const d = await cosineDistances([Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([s, s])]);
    const expected = [0, 1, 1 - s, 1, 0, 1 - s, 1 - s, 1 - s, 0];
    expected.forEach((e, i) => assert.ok(Math.abs(d[i] - e) < 1e-6, `${i}: ${d[i]} vs ${e}`));
  });
});

describe('map rendering', () => {
  const points: MapPoint[] = [
    { x: 0, y: 0, character: 'Miku', kind: 'human', faceId: 1 },
    { x: 1, y: 0, character: 'Miku', kind: 'predicted', faceId: 2, note: 'a.png · 80 %' },
    { x: 5, y: 5, character: 'Kyaru <3', kind: 'human', faceId: 3 },
    { x: 2, y: 9, character: null, kind: 'unknown', faceId: 4 },
  ];

  test('SVG: every face drawn, legend with counts, the new character ringed and bold', () => {
    const svg = renderMapSvg(points, { title: 't', highlight: ['Kyaru <3'], width: 900, height: 600 });
    assert.match(svg, /^<svg [^>]*width="900" height="600"/);
    assert.equal((svg.match(/<circle /g) ?? []).length, 4 + 2 /* legend dots */ + 4 /* key */);
    assert.match(svg, /font-weight="bold" fill="#111">Kyaru &lt;3 {2}\(new\)/);
    assert.match(svg, />1 \/ 1</); // Miku: one taught, one predicted
    assert.match(svg, /unknown \(1\)/);
    assert.match(svg, /stroke="#111" stroke-width="1.6"/);
  });

  test('HTML: self-contained, one hoverable circle per face, data escaped', () => {
    const html = renderMapHtml([...points, { x: 3, y: 3, character: '</script><b>', kind: 'human', faceId: 5 }], {
      title: 'map',
    });
    assert.equal((html.match(/data-i="/g) ?? []).length, 5);
    assert.equal((html.match(/<\/script>/g) ?? []).length, 1);
    assert.ok(!/src="http|href="http/.test(html));
  });
});
