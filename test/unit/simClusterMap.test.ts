import { ClusterMap } from '../../local/sim/fleetFile/clusterMap';

describe("the simulator's clusters by subscription", () => {
  const names = (m: ClusterMap<{ name: string }>, sub: string) =>
    [...m.inSubscription(sub)].map((c) => c.name);

  it('lists the clusters of one subscription, in the order they were added, whatever the case asked', () => {
    const m = new ClusterMap<{ name: string }>();
    m.set('sub-a/rg/one', { name: 'one' });
    m.set('sub-b/rg/two', { name: 'two' });
    m.set('sub-a/rg2/three', { name: 'three' });
    expect(names(m, 'SUB-A')).toEqual(['one', 'three']);
    expect(names(m, 'sub-b')).toEqual(['two']);
    expect(names(m, 'sub-c')).toEqual([]);
  });

  it('follows replacements and deletions, and starts from the entries it was made with', () => {
    const m = new ClusterMap<{ name: string }>([
      ['sub-a/rg/one', { name: 'one' }],
      ['sub-a/rg/two', { name: 'two' }],
    ]);
    m.set('sub-a/rg/one', { name: 'one, replaced' });
    expect(names(m, 'sub-a')).toEqual(['one, replaced', 'two']);
    expect(m.delete('sub-a/rg/two')).toBe(true);
    expect(m.delete('sub-a/rg/two')).toBe(false);
    expect(names(m, 'sub-a')).toEqual(['one, replaced']);
    m.clear();
    expect(names(m, 'sub-a')).toEqual([]);
    expect(m.size).toBe(0);
  });
});
