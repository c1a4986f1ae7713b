import { expect } from 'chai';
import { filterToSql, isEmptyFilter } from '../../../src/store/item-filter.ts';

const roots = [
  { id: 1, path: '/photos' },
  { id: 2, path: '/mnt/nas/archive' },
];

describe('filterToSql', () => {
  it('always limits to the kind and to indexed items', () => {
    expect(filterToSql('image', {}, roots)).to.deep.equal({ sql: "kind = ? AND status = 'indexed'", params: ['image'] });
  });

  it('binds ranges and normalises formats', () => {
    const where = filterToSql('image', { minSize: 10, maxSize: 20, modifiedAfter: 5, minWidth: 100, maxHeight: 300, formats: ['JPG', '.png'] }, roots);
    expect(where.sql).to.equal(
      "kind = ? AND status = 'indexed' AND size >= ? AND size <= ? AND mtime_ms > ? AND width >= ? AND height <= ? AND lower(format) IN (?, ?)",
    );
    expect(where.params).to.deep.equal(['image', 10, 20, 5, 100, 300, 'jpeg', 'png']);
  });

  it('matches an empty format list to nothing and rejects non-finite numbers', () => {
    expect(filterToSql('image', { formats: [] }, roots).sql).to.equal('0');
    expect(() => filterToSql('image', { minSize: Number.NaN }, roots)).to.throw(/minSize/);
  });

  it('maps an absolute path prefix onto the roots it touches', () => {
    expect(filterToSql('image', { pathPrefix: '/photos/2020/' }, roots).params).to.deep.equal(['image', 1, 5, '2020/']);
    expect(filterToSql('image', { pathPrefix: '/photos/2020/' }, roots).sql).to.include('(root_id = ? AND substr(uri, 1, ?) = ?)');
    expect(filterToSql('image', { pathPrefix: '/mnt' }, roots).params).to.deep.equal(['image', 2]);
    expect(filterToSql('image', { pathPrefix: '/elsewhere' }, roots).sql).to.match(/ AND 0$/);
  });

  it('matches a relative prefix against uris under every root, with % and _ taken literally', () => {
    const where = filterToSql('text', { pathPrefix: 'a_b%/' }, roots);
    expect(where.sql).to.match(/substr\(uri, 1, \?\) = \?$/);
    expect(where.params).to.deep.equal(['text', 5, 'a_b%/']);
  });

  it('treats a filter of only undefined fields as empty', () => {
    expect(isEmptyFilter({ minSize: undefined } as never)).to.equal(true);
    expect(isEmptyFilter({ minSize: 0 })).to.equal(false);
    expect(isEmptyFilter(undefined)).to.equal(true);
  });
});
