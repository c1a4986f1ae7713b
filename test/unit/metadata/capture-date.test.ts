import { expect } from 'chai';
import {
  parseExifDate,
  parseIptcDate,
  parseOffset,
  parseXmpDate,
} from '../../../src/metadata/capture-date.ts';

describe('metadata/capture-date', () => {
  it('EXIF with an offset: ISO keeps the offset, ms is the true instant', () => {
    const r = parseExifDate('2021:07:04 15:30:00', '+02:00');
    expect(r.date).to.deep.equal({
      iso: '2021-07-04T15:30:00+02:00',
      ms: Date.UTC(2021, 6, 4, 13, 30),
      timeZone: '+02:00',
    });
    expect(parseExifDate('2021:07:04 15:30:00', '-05:30').date?.ms).to.equal(Date.UTC(2021, 6, 4, 21, 0));
  });

  it('EXIF without an offset: wall-clock time, no zone, sorted as if UTC', () => {
    const r = parseExifDate('2021:07:04 15:30:00', undefined);
    expect(r.date).to.deep.equal({
      iso: '2021-07-04T15:30:00',
      ms: Date.UTC(2021, 6, 4, 15, 30),
      timeZone: null,
    });
    expect(r.problem).to.equal(undefined);
  });

  it('an invalid time zone is dropped with a reason; the date stays', () => {
    for (const tz of ['+25:00', 'Europe/Paris', '+02:75', '']) {
      const r = parseExifDate('2020:01:02 03:04:05', tz);
      expect(r.date?.iso, tz).to.equal('2020-01-02T03:04:05');
      expect(r.date?.timeZone).to.equal(null);
      if (tz !== '') expect(r.problem).to.match(/invalid time zone/);
    }
    expect(parseOffset('Z')).to.equal('+00:00');
    expect(parseOffset('+0530')).to.equal('+05:30');
  });

  it('year 0, year 9999 and impossible days give no date and a reason', () => {
    for (const raw of [
      '0000:00:00 00:00:00',
      '9999:12:31 23:59:59',
      '2021:02:30 10:00:00',
      '2021:13:01 00:00:00',
      'yesterday',
      '    :  :     :  :  ',
    ]) {
      const r = parseExifDate(raw, undefined);
      expect(r.date, raw).to.equal(null);
      expect(r.problem, raw).to.be.a('string');
    }
    expect(parseExifDate(42, undefined).date).to.equal(null);
  });

  it('XMP ISO 8601 at any precision, with or without an offset', () => {
    expect(parseXmpDate('2019-05-01T10:00:00+09:00').date).to.deep.equal({
      iso: '2019-05-01T10:00:00+09:00',
      ms: Date.UTC(2019, 4, 1, 1, 0),
      timeZone: '+09:00',
    });
    expect(parseXmpDate('2019-05-01T10:00Z').date?.timeZone).to.equal('+00:00');
    expect(parseXmpDate('2019-05-01').date?.iso).to.equal('2019-05-01T00:00:00');
    expect(parseXmpDate('2019').date?.iso).to.equal('2019-01-01T00:00:00');
    expect(parseXmpDate('9999-01-01T00:00:00').date).to.equal(null);
  });

  it('IPTC date and time with offset', () => {
    expect(parseIptcDate('20190501', '101500+0900').date).to.deep.equal({
      iso: '2019-05-01T10:15:00+09:00',
      ms: Date.UTC(2019, 4, 1, 1, 15),
      timeZone: '+09:00',
    });
    expect(parseIptcDate('20190501', undefined).date?.iso).to.equal('2019-05-01T00:00:00');
    expect(parseIptcDate('00000000', undefined).date).to.equal(null);
  });
});
