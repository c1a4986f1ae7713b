import { expect } from 'chai';
import { isEmptyFilter } from '../../../src/store/item-filter.ts';

// What each filter selects is tested on a real library: test/integration/store/item-filter.test.ts.
describe('isEmptyFilter', () => {
  it('treats a filter of only undefined fields as empty', () => {
    expect(isEmptyFilter({ minSize: undefined } as never)).to.equal(true);
    expect(isEmptyFilter({ minSize: 0 })).to.equal(false);
    expect(isEmptyFilter(undefined)).to.equal(true);
  });
});
