// Photo metadata through the whole engine: the real indexer writes it, the real store keeps it
// (and its keyword index) across renames, and the search service fuses words with vectors.
import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { INDEX_DEFAULTS, type IndexRequest } from '../../../indexer/pipeline/index-request.ts';
import { runIndex } from '../../../indexer/pipeline/index-run.ts';
import type { ClipModel } from '../../../src/model/model.types.ts';
import { photoFacts } from '../../../src/metadata/photo-facts.ts';
import { bundledModelDir } from '../../../src/model/bundled-model.ts';
import { loadModel } from '../../../src/model/load-model.ts';
import { SearchService } from '../../../src/search/search.service.ts';
import type { SearchRequest } from '../../../src/search/search.types.ts';
import type { LibraryStore } from '../../../src/store/library-store.ts';
import { openLibrary } from '../../../src/store/open-library.ts';
import { imageWithMetadata } from '../../helpers/photo-metadata-bytes.ts';

const DEMO = path.resolve(import.meta.dirname, '..', '..', '..', 'fixtures', 'demo', 'images');

describe('hybrid search over photo metadata (real indexer, store and model)', function () {
  this.timeout(120_000);
  let dir: string;
  let photos: string;
  let model: ClipModel;
  let library: LibraryStore;
  let search: SearchService;
  const request = (): IndexRequest => ({
    ...INDEX_DEFAULTS,
    folders: [photos],
    imageFiles: [],
    corpora: [],
    captions: [],
    filter: {},
    batchSize: 8,
    concurrency: 2,
  });
  const warnings: string[] = [];
  const index = () => runIndex({ ...request(), onWarning: (w) => warnings.push(w) }, library, model);
  const find = (q: string, over: Partial<SearchRequest> = {}) =>
    search.search({ target: 'image', terms: [{ text: q }], k: 10, ...over });
  const demo = (name: string) => readFile(path.join(DEMO, name));

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'clipdex-hybrid-'));
    photos = path.join(dir, 'photos');
    await mkdir(path.join(photos, 'Trips', 'Zanzibar 2019'), { recursive: true });
    const at = async (rel: string, bytes: Buffer, mtime: Date) => {
      await writeFile(path.join(photos, rel), bytes);
      await utimes(path.join(photos, rel), mtime, mtime);
    };
    // Capture dates run 2001 → 2010 → 2020 while the mtimes say the opposite.
    await at(
      'IMG_0001.jpg',
      await imageWithMetadata(
        'jpeg',
        { exif: { dateTimeOriginal: '2001:05:01 12:00:00', make: 'Canon', model: 'Canon EOS 300D' } },
        await demo('cat-emojione.png'),
      ),
      new Date('2024-03-01'),
    );
    await at(
      'IMG_0002.jpg',
      await imageWithMetadata(
        'jpeg',
        {
          exif: {
            dateTimeOriginal: '2010:05:01 12:00:00',
            offsetTimeOriginal: '-05:00',
            make: 'NIKON CORPORATION',
            model: 'NIKON D90',
            gps: { lat: -33.8568, lon: 151.2153 },
          },
        },
        await demo('dog-face-twemoji.png'),
      ),
      new Date('2023-03-01'),
    );
    // Only its XMP keyword and description know this one is "quokka" (the model has never heard the word).
    await at(
      'IMG_0003.png',
      await imageWithMetadata(
        'png',
        {
          exif: { dateTimeOriginal: '2020:05:01 12:00:00' },
          xmp: { keywords: ['quokka', '短尾矮袋鼠'], description: 'the happiest animal on Rottnest' },
        },
        await demo('rocket-noto.png'),
      ),
      new Date('2022-03-01'),
    );
    await at(
      'Trips/Zanzibar 2019/grandma-rose-90th.webp',
      await imageWithMetadata('webp', {}, await demo('birthday-cake-fluent-emoji.png')),
      new Date('2021-03-01'),
    );
    model = await loadModel(bundledModelDir(), { device: 'cpu', threads: 1 });
    library = await openLibrary(path.join(dir, 'lib'), { fingerprint: model.fingerprint });
    search = new SearchService({
      text: model.text,
      image: model.image,
      preprocessor: model.preprocessor,
      library,
    });
    const summary = await index();
    expect(summary.stats.images.indexed).to.equal(4);
  });
  after(async () => {
    await library?.close();
    await model?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores capture date with source, camera, GPS and keywords, and falls back to the mtime', () => {
    const facts = (uri: string) => photoFacts(library.findByUri(library.listRoots()[0]!.id, uri)!);
    expect(facts('IMG_0002.jpg')).to.deep.include({
      takenAt: '2010-05-01T12:00:00-05:00',
      takenAtSource: 'exif',
      camera: 'NIKON D90',
    });
    expect(facts('IMG_0002.jpg').gps!.lat).to.be.closeTo(-33.8568, 1e-4);
    expect(facts('IMG_0003.png').keywords).to.deep.equal(['quokka', '短尾矮袋鼠']);
    expect(facts('Trips/Zanzibar 2019/grandma-rose-90th.webp')).to.deep.include({
      takenAt: new Date('2021-03-01').toISOString(),
      takenAtSource: 'file',
    });
  });

  it('a hybrid query finds an image only its XMP keyword names; vector mode does not explain it', async () => {
    const hybrid = await find('quokka');
    expect(hybrid.results[0]!.item.uri).to.equal('IMG_0003.png');
    expect(hybrid.results[0]!.matched).to.deep.equal(['keywords']);
    expect(hybrid.results[0]!.scores!.keyword).to.be.greaterThan(0);
    const chinese = await find('短尾矮袋鼠', { mode: 'keyword' });
    expect(chinese.results.map((h) => h.item.uri)).to.deep.equal(['IMG_0003.png']);
    const vector = await find('quokka', { mode: 'vector' });
    expect(
      vector.results.every((h) => h.scores!.keyword === null && (h.matched ?? []).length === 0),
    ).to.equal(true);
  });

  it('file names and folder names are words too', async () => {
    const grandma = await find('grandma', { mode: 'keyword' });
    expect(grandma.results.map((h) => h.item.uri)).to.deep.equal([
      'Trips/Zanzibar 2019/grandma-rose-90th.webp',
    ]);
    expect(grandma.results[0]!.matched).to.deep.equal(['name']);
    const trip = await find('zanzibar', { mode: 'keyword' });
    expect(trip.results[0]!.matched).to.deep.equal(['folders']);
  });

  it('sort: taken orders by capture date although the mtimes say the opposite', async () => {
    const taken = await find('animal', { sort: 'taken', mode: 'vector' });
    expect(taken.results.map((h) => h.item.uri)).to.deep.equal([
      'Trips/Zanzibar 2019/grandma-rose-90th.webp',
      'IMG_0003.png',
      'IMG_0002.jpg',
      'IMG_0001.jpg',
    ]);
    const byMtime = await find('animal', { sort: 'date', mode: 'vector' });
    expect(byMtime.results.map((h) => h.item.uri)).to.deep.equal([
      'IMG_0001.jpg',
      'IMG_0002.jpg',
      'IMG_0003.png',
      'Trips/Zanzibar 2019/grandma-rose-90th.webp',
    ]);
  });

  it('filters: takenAfter/takenBefore, camera, keywords, near', async () => {
    const uris = async (filter: NonNullable<SearchRequest['filter']>) =>
      (await find('animal', { filter })).results.map((h) => h.item.uri).sort();
    expect(
      await uris({ takenAfter: Date.UTC(2005, 0, 1), takenBefore: Date.UTC(2020, 11, 31) }),
    ).to.deep.equal(['IMG_0002.jpg', 'IMG_0003.png']);
    expect(await uris({ camera: 'nikon' })).to.deep.equal(['IMG_0002.jpg']);
    expect(await uris({ keywords: ['QUOKKA'] })).to.deep.equal(['IMG_0003.png']);
    expect(await uris({ near: { lat: -33.87, lon: 151.2, km: 10 } })).to.deep.equal(['IMG_0002.jpg']);
    expect(await uris({ near: { lat: 48.85, lon: 2.35, km: 100 } })).to.deep.equal([]);
  });

  it('a renamed file keeps its metadata and is found by its new name', async () => {
    await rename(path.join(photos, 'IMG_0003.png'), path.join(photos, 'rottnest-island.png'));
    const summary = await index();
    expect(summary.stats.images.moved).to.equal(1);
    const moved = library.findByUri(library.listRoots()[0]!.id, 'rottnest-island.png')!;
    expect(photoFacts(moved)).to.deep.include({ takenAt: '2020-05-01T12:00:00', takenAtSource: 'exif' });
    expect(photoFacts(moved).keywords).to.deep.equal(['quokka', '短尾矮袋鼠']);
    const byName = await find('rottnest', { mode: 'keyword' });
    expect(byName.results[0]!.item.id).to.equal(moved.id);
    expect(byName.results[0]!.matched).to.have.members(['name', 'description']);
  });
});
