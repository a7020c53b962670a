/** Section refit: the head refit through the service (SQLite read, fit, serialise, store) for 10k / 50k faces. */
import { rmSync } from 'node:fs';
import { openStore } from '../../src/store/index.ts';
import { round } from '../common.ts';
import { syntheticEmbeddings } from '../synthetic.ts';
import { openServicesIn, scratch, type Suite } from './suite.ts';

/** A guild of synthetic faces in SQLite, then HeadService.refit, cold and after 5 more faces. */
export async function refitSection(suite: Suite) {
  // The service path: a guild of synthetic faces in SQLite, then HeadService.refit (read the labels
  // and vectors, fit, serialise, store a head version), as /teach and corrections do.
  const dir = scratch('refit');
  try {
    const services = await openServicesIn(dir);
    const dim = (await services.embedders.activeEmbedder()).dim;
    const version = services.embedders.activeVersion();
    // Synthetic faces go straight into the database, beside the services: no service makes faces from vectors.
    const store = openStore(dir);
    const runs: Array<Record<string, unknown>> = [];
    for (const [n, classes] of suite.quick
      ? [[10000, 200]]
      : [
          [10000, 200],
          [50000, 200],
        ]) {
      const guild = `g${n}`;
      const { embeddings, labels } = await syntheticEmbeddings({ n, classes, dim, between: 0.7 });
      const insertSyntheticImage = (sha256: string) =>
        store.images.insertImage({
          guild_id: guild,
          sha256,
          source_kind: 'import',
          source_path: null,
          channel_id: null,
          message_id: null,
          url: null,
          author_id: null,
          stored_path: null,
          width: 100,
          height: 100,
        });
      const insertTaughtFace = (imageId: number, embedding: Float32Array, characterId: number) => {
        const faceId = store.images.insertFace({
          guild_id: guild,
          image_id: imageId,
          x: 0,
          y: 0,
          w: 10,
          h: 10,
          detector: 'whole',
          detector_settings: '{}',
          score: 1,
          crop_path: 'none.png',
        });
        store.embeddings.put(faceId, version, embedding);
        store.labels.add({ guildId: guild, faceId, characterId, source: 'taught', by: 'bench' });
      };
      const t0 = performance.now();
      store.transaction(() => {
        const ids = new Map<string, number>();
        let imageId = 0;
        embeddings.forEach((v, i) => {
          if (i % 100 === 0) {
            imageId = insertSyntheticImage(`synthetic-${i}`);
          }
          if (!ids.has(labels[i]))
            ids.set(labels[i], store.characters.findOrCreate(guild, labels[i], 'bench').character.id);
          insertTaughtFace(imageId, v, ids.get(labels[i])!);
        });
      });
      const insertMs = performance.now() - t0;
      const timedRefit = async () => {
        const c0 = process.cpuUsage();
        const t1 = performance.now();
        const refit = await services.heads.refit(guild);
        const wall = performance.now() - t1;
        const cpu = process.cpuUsage(c0);
        return { refit, wall, cpuMs: (cpu.user + cpu.system) / 1000 };
      };
      // Cold: the guild's first head. Warm: after 5 more faces of a new character, as a /teach
      // into a big guild does (the fit starts from the previous head).
      const cold = await timedRefit();
      const extra = await syntheticEmbeddings({ n: 5, classes: 1, dim, seed: 9 });
      store.transaction(() => {
        const imageId = insertSyntheticImage('synthetic-new');
        const character = store.characters.findOrCreate(guild, 'newcomer', 'bench').character.id;
        for (const v of extra.embeddings) insertTaughtFace(imageId, v, character);
      });
      const warm = await timedRefit();
      const headBytes = store.heads.storedBytes(cold.refit.headVersion);
      for (const [kind, r] of [
        ['cold', cold],
        ['warm', warm],
      ] as const) {
        runs.push({
          kind,
          faces: r.refit.faces,
          characters: r.refit.characters,
          insertMs: round(insertMs, 0),
          refitWallMs: round(r.wall, 0),
          refitCpuMs: round(r.cpuMs, 0),
          fitMs: round(r.refit.fitMs, 0),
          otherMs: round(r.wall - r.refit.fitMs, 0),
          headStoredMB: round(headBytes / 2 ** 20, 1),
        });
      }
    }
    store.close();
    await services.close();
    return {
      runs,
      note: 'otherMs = reading labels and vectors from SQLite, serialising and storing the head version; warm = refit after 5 more faces of a new character, starting from the previous head',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
