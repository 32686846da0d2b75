import type { ClusterNodeEntity } from '@app/core-db';
import type { ClusterClient } from '../cluster-client.js';
import type { ClusterOptions } from '../cluster-options.js';
import { CacheFanout } from './cache-fanout.service.js';
import type { NodeRegistry } from './node-registry.service.js';

const node = (name: string, status: ClusterNodeEntity['status']) =>
  ({ name, url: `http://${name}`, status }) as ClusterNodeEntity;

/** A fan-out over an in-memory registry and a client whose answers the test decides. */
function setup(nodes: ClusterNodeEntity[]) {
  const calls: { url: string; body: unknown }[] = [];
  const answers = new Map<string, () => Promise<{ status: number; body: unknown }>>();
  const client = {
    request: async (url: string, _method: string, _path: string, body: unknown) => {
      calls.push({ url, body });
      return (answers.get(url) ?? (async () => ({ status: 200, body: { dropped: 1 } })))();
    },
  } as unknown as ClusterClient;
  const registry = { list: async () => nodes } as unknown as NodeRegistry;
  const fanout = new CacheFanout({ nodeTimeoutMs: 100 } as ClusterOptions, client, registry);
  return { fanout, calls, answers };
}

describe('CacheFanout', () => {
  it('sends the tags to every HEALTHY node but the sender, and reports each', async () => {
    const { fanout, calls } = setup([node('a', 'HEALTHY'), node('b', 'HEALTHY'), node('c', 'HEALTHY')]);
    const results = await fanout.fanOut(['t1'], 'b');
    expect(calls).toEqual([
      { url: 'http://a', body: { tags: ['t1'] } },
      { url: 'http://c', body: { tags: ['t1'] } },
    ]);
    expect(results).toMatchObject([
      { node: 'a', success: true, message: 'dropped 1 cached entry', appliedVersion: null },
      { node: 'c', success: true },
    ]);
    expect(fanout.pending).toEqual([]);
  });

  it('sends null for "everything" (no tags or an empty list)', async () => {
    const { fanout, calls } = setup([node('a', 'HEALTHY')]);
    await fanout.fanOut([]);
    await fanout.fanOut(undefined);
    expect(calls.map((c) => c.body)).toEqual([{ tags: null }, { tags: null }]);
  });

  it('remembers nodes it did not reach and flushes them everything once they are back', async () => {
    const { fanout, calls, answers } = setup([
      node('up', 'HEALTHY'),
      node('down', 'HEALTHY'),
      node('sick', 'UNHEALTHY'),
    ]);
    answers.set('http://down', async () => {
      throw new Error('no answer within 100 ms');
    });
    const results = await fanout.fanOut(['t1']);
    expect(results.map((r) => [r.node, r.success])).toEqual([
      ['up', true],
      ['down', false],
    ]);
    expect(fanout.pending).toEqual(['down', 'sick']);

    // Still failing: stays owed.
    calls.length = 0;
    await fanout.catchUp(node('down', 'HEALTHY'));
    expect(calls).toEqual([{ url: 'http://down', body: { tags: null } }]);
    expect(fanout.hasMissed('down')).toBe(true);

    answers.delete('http://down');
    await fanout.catchUp(node('down', 'HEALTHY'));
    await fanout.catchUp(node('sick', 'HEALTHY'));
    expect(fanout.pending).toEqual([]);
    calls.length = 0;
    await fanout.catchUp(node('up', 'HEALTHY')); // owed nothing: not called
    expect(calls).toEqual([]);
  });

  it('keeps a node owed when it missed another invalidation while its flush was in flight', async () => {
    const { fanout, answers } = setup([node('a', 'UNHEALTHY')]);
    await fanout.fanOut(['t1']);
    let release!: () => void;
    answers.set(
      'http://a',
      () =>
        new Promise((resolve) => {
          release = () => resolve({ status: 200, body: { dropped: 0 } });
        }),
    );
    const flushing = fanout.catchUp(node('a', 'HEALTHY'));
    await fanout.fanOut(['t2']); // still UNHEALTHY in the registry: missed again
    release();
    await flushing;
    expect(fanout.hasMissed('a')).toBe(true);
  });

  it('counts a refusal as a miss and forgets a node that left', async () => {
    const { fanout, answers } = setup([node('a', 'HEALTHY')]);
    answers.set('http://a', async () => ({ status: 503, body: { message: 'cache invalidation failed' } }));
    const [result] = await fanout.fanOut(['t1']);
    expect(result).toMatchObject({
      success: false,
      message: 'invalidation refused with HTTP 503: cache invalidation failed',
    });
    expect(fanout.hasMissed('a')).toBe(true);
    fanout.forget('a');
    expect(fanout.pending).toEqual([]);
  });
});
