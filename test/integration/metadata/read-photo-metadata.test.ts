// Real files through the real readers: sharp finds the blocks, exifr parses them.
import { expect } from 'chai';
import { extractPhotoMetadata } from '../../../src/metadata/extract-photo-metadata.ts';
import { MAX_XMP_BYTES } from '../../../src/metadata/read-photo-metadata.ts';
import { decodeImage } from '../../../src/image/sharp-decoder.ts';
import {
  imageWithMetadata,
  insertJpegSegments,
  iptcApp13,
  truncatedExifApp1,
  xmpPacket,
  type MetaFormat,
} from '../../helpers/photo-metadata-bytes.ts';

describe('metadata/extractPhotoMetadata (sharp + exifr)', () => {
  const xmp = {
    keywords: ['grandma', '生日'],
    title: 'Rose turns 90',
    description: '奶奶的九十岁生日',
    people: ['Rose Miller', 'Tom'],
  };

  for (const format of ['jpeg', 'png', 'webp', 'tiff'] as MetaFormat[]) {
    it(`reads XMP keywords, title, description and region people from ${format.toUpperCase()}`, async () => {
      const photo = await extractPhotoMetadata(await imageWithMetadata(format, { xmp }));
      expect(photo).to.include({ title: 'Rose turns 90', description: '奶奶的九十岁生日' });
      expect(photo.keywords).to.deep.equal(['grandma', '生日']);
      expect(photo.people).to.deep.equal(['Rose Miller', 'Tom']);
      expect(photo.problems).to.deep.equal([]);
    });
  }

  for (const format of ['jpeg', 'png', 'webp'] as MetaFormat[]) {
    it(`reads EXIF date with offset, camera and GPS from ${format.toUpperCase()}`, async () => {
      const bytes = await imageWithMetadata(format, {
        exif: {
          make: 'Canon',
          model: 'Canon EOS 5D Mark IV',
          dateTimeOriginal: '2021:07:04 15:30:00',
          offsetTimeOriginal: '+02:00',
          gps: { lat: 48.8584, lon: 2.2945 },
        },
      });
      const photo = await extractPhotoMetadata(bytes);
      expect(photo).to.include({
        takenAt: '2021-07-04T15:30:00+02:00',
        takenAtSource: 'exif',
        timeZone: '+02:00',
        camera: 'Canon EOS 5D Mark IV',
      });
      expect(photo.takenAtMs).to.equal(Date.UTC(2021, 6, 4, 13, 30));
      expect(photo.gps!.lat).to.be.closeTo(48.8584, 1e-4);
      expect(photo.gps!.lon).to.be.closeTo(2.2945, 1e-4);
    });
  }

  it('EXIF date without an offset is wall-clock time with no zone', async () => {
    const photo = await extractPhotoMetadata(
      await imageWithMetadata('jpeg', { exif: { dateTimeOriginal: '2010:12:24 18:00:00' } }),
    );
    expect(photo).to.include({ takenAt: '2010-12-24T18:00:00', timeZone: null, takenAtSource: 'exif' });
  });

  it('GPS in all four hemispheres', async () => {
    const places = [
      { name: 'NE Tokyo', lat: 35.6586, lon: 139.7454 },
      { name: 'NW New York', lat: 40.6892, lon: -74.0445 },
      { name: 'SE Sydney', lat: -33.8568, lon: 151.2153 },
      { name: 'SW Rio', lat: -22.9519, lon: -43.2105 },
    ];
    for (const p of places) {
      const photo = await extractPhotoMetadata(
        await imageWithMetadata('jpeg', { exif: { gps: { lat: p.lat, lon: p.lon } } }),
      );
      expect(photo.gps!.lat, p.name).to.be.closeTo(p.lat, 1e-4);
      expect(photo.gps!.lon, p.name).to.be.closeTo(p.lon, 1e-4);
    }
    const xmpGps = await extractPhotoMetadata(
      await imageWithMetadata('png', { xmp: { gps: { lat: '33,52.5S', lon: '151,12.5E' } } }),
    );
    expect(xmpGps.gps).to.deep.equal({ lat: -33.875, lon: 151.2083333 });
  });

  it('XMP and IPTC dates when EXIF has none, saying which source', async () => {
    const fromXmp = await extractPhotoMetadata(
      await imageWithMetadata('webp', { xmp: { createDate: '2019-05-01T10:00:00+09:00' } }),
    );
    expect(fromXmp).to.include({ takenAt: '2019-05-01T10:00:00+09:00', takenAtSource: 'xmp' });
    const jpeg = await imageWithMetadata('jpeg', {});
    const withIptc = insertJpegSegments(jpeg, [
      iptcApp13({
        keywords: ['lake', '湖'],
        caption: 'by the lake',
        dateCreated: '20190501',
        timeCreated: '101500+0900',
      }),
    ]);
    const fromIptc = await extractPhotoMetadata(withIptc);
    expect(fromIptc).to.include({
      takenAt: '2019-05-01T10:15:00+09:00',
      takenAtSource: 'iptc',
      description: 'by the lake',
    });
    expect(fromIptc.keywords).to.deep.equal(['lake', '湖']);
  });

  it('a rotated image (EXIF orientation 6) keeps its metadata, and decodes upright', async () => {
    const bytes = await imageWithMetadata('jpeg', {
      exif: { dateTimeOriginal: '2015:03:01 09:00:00', make: 'Apple', model: 'iPhone 6', orientation: 6 },
      xmp: { keywords: ['sideways'] },
    });
    const photo = await extractPhotoMetadata(bytes);
    expect(photo).to.include({ takenAt: '2015-03-01T09:00:00', camera: 'Apple iPhone 6' });
    expect(photo.keywords).to.deep.equal(['sideways']);
    const decoded = await decodeImage(bytes);
    expect([decoded.width, decoded.height]).to.deep.equal([16, 24]);
  });

  describe('bad input: still read, field null, reason given', () => {
    it('truncated EXIF', async () => {
      const full = await imageWithMetadata('jpeg', {
        exif: { make: 'Canon', dateTimeOriginal: '2021:07:04 15:30:00' },
      });
      for (const keep of [8, 20, 60]) {
        const photo = await extractPhotoMetadata(
          insertJpegSegments(full, [truncatedExifApp1(full, keep)], { dropMarker: 0xe1 }),
        );
        expect(photo.takenAt, String(keep)).to.equal(null);
        expect(photo.problems.join(' '), String(keep)).to.match(/EXIF/);
      }
    });

    it('malformed XMP', async () => {
      const broken = xmpPacket({ keywords: ['x'] })
        .replace('</rdf:Bag>', '<rdf:li>unclosed')
        .slice(0, -40);
      const photo = await extractPhotoMetadata(await imageWithMetadata('png', { xmp: broken }));
      expect(photo.takenAt).to.equal(null);
      expect(photo).to.have.property('problems').that.is.an('array');
    });

    it('a 5 MB XMP packet is refused unparsed', async () => {
      const bytes = await imageWithMetadata('png', { xmp: { keywords: ['huge'], padding: 5 * 1024 * 1024 } });
      const photo = await extractPhotoMetadata(bytes);
      expect(photo.keywords).to.deep.equal([]);
      expect(photo.problems.join(' ')).to.contain(`${MAX_XMP_BYTES}-byte limit`);
    });

    it('years 0 and 9999 and an invalid time zone', async () => {
      const y0 = await extractPhotoMetadata(
        await imageWithMetadata('jpeg', { exif: { dateTimeOriginal: '0000:00:00 00:00:00' } }),
      );
      expect(y0.takenAt).to.equal(null);
      expect(y0.problems[0]).to.match(/year 0/);
      const y9999 = await extractPhotoMetadata(
        await imageWithMetadata('jpeg', { exif: { dateTimeOriginal: '9999:12:31 23:59:59' } }),
      );
      expect(y9999.takenAt).to.equal(null);
      const tz = await extractPhotoMetadata(
        await imageWithMetadata('jpeg', {
          exif: { dateTimeOriginal: '2020:01:02 03:04:05', offsetTimeOriginal: '+99:99' },
        }),
      );
      expect(tz).to.include({ takenAt: '2020-01-02T03:04:05', timeZone: null });
      expect(tz.problems[0]).to.match(/invalid time zone/);
    });

    it('bytes that are no image at all', async () => {
      const photo = await extractPhotoMetadata(Buffer.from('not an image'));
      expect(photo.takenAt).to.equal(null);
      expect(photo.problems[0]).to.match(/^metadata:/);
    });
  });
});
