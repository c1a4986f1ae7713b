import { expect } from 'chai';
import { parseProbe } from '../../../src/video/video-probe.ts';

/** ffprobe JSON of a small H.264 MP4, with the format tags under test. */
function probe(formatTags: Record<string, string> = {}, streamTags: Record<string, string> = {}) {
  return {
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.0', tags: formatTags },
    streams: [
      {
        codec_type: 'video',
        codec_name: 'h264',
        width: 320,
        height: 180,
        avg_frame_rate: '25/1',
        tags: streamTags,
      },
    ],
  };
}

describe('parseProbe: the capture date of a video (takenAt)', () => {
  it('reads the container creation_time as UTC', () => {
    const info = parseProbe(probe({ creation_time: '2019-07-14T18:30:00.000000Z' }));
    expect(info.takenAt).to.deep.equal({
      iso: '2019-07-14T18:30:00+00:00',
      ms: Date.UTC(2019, 6, 14, 18, 30),
      timeZone: '+00:00',
    });
    expect(info.creationTime).to.equal('2019-07-14T18:30:00.000Z');
  });

  it("prefers Apple's creationdate, which keeps the local time and its offset", () => {
    const info = parseProbe(
      probe({
        creation_time: '2019-07-14T16:30:00.000000Z',
        'com.apple.quicktime.creationdate': '2019-07-14T18:30:00+0200',
      }),
    );
    expect(info.takenAt).to.deep.equal({
      iso: '2019-07-14T18:30:00+02:00',
      ms: Date.UTC(2019, 6, 14, 16, 30),
      timeZone: '+02:00',
    });
  });

  it('falls back to the video stream creation_time', () => {
    expect(parseProbe(probe({}, { creation_time: '2020-01-02T03:04:05Z' })).takenAt?.ms).to.equal(
      Date.UTC(2020, 0, 2, 3, 4, 5),
    );
  });

  it('treats absent, unreadable, out-of-range and placeholder dates (1904, 1970) as none', () => {
    for (const tags of [
      {},
      { creation_time: '' },
      { creation_time: 'yesterday' },
      { creation_time: '1904-01-01T00:00:00.000000Z' },
      { creation_time: '1970-01-01T00:00:00.000000Z' },
      { creation_time: '0000-00-00T00:00:00Z' },
      { creation_time: '9999-12-31T23:59:59Z' },
      { 'com.apple.quicktime.creationdate': '2019-02-30T10:00:00+0100' },
    ]) {
      expect(parseProbe(probe(tags)).takenAt, JSON.stringify(tags)).to.equal(null);
    }
    // An unusable Apple date does not hide a good creation_time.
    expect(
      parseProbe(
        probe({ 'com.apple.quicktime.creationdate': 'garbage', creation_time: '2021-05-06T07:08:09Z' }),
      ).takenAt?.iso,
    ).to.equal('2021-05-06T07:08:09+00:00');
  });
});
