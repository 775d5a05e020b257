/**
 * What the simulator hands the state store between two saves (Simulation.drainChanges): every
 * object written since the last save, and the deletion of every saved object that is gone. An
 * object created and deleted between two saves never reached the store, so there is nothing to
 * delete; a saved object deleted and created again is written over, and deleted if it goes again.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/core/index.js';
import { Simulation } from '../../src/cluster/sim/sim.js';
import { SimClient } from '../../src/cluster/sim/client.js';
import { T0 } from './helpers.js';

const configMap = (name: string, v = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

function drained(sim: Simulation): { upserts: string[]; deletes: string[] } {
  const c = sim.drainChanges();
  return { upserts: c.upserts.filter((o) => o.kind === 'ConfigMap').map((o) => `${o.metadata.name}=${(o.data as { v: string }).v}`).sort(), deletes: c.deletes.sort() };
}

describe('Simulation.drainChanges', () => {
  it('leaves out what was created and deleted between two saves, and deletes what a save holds', () => {
    const sim = new Simulation(new VirtualClock(T0));
    const client = new SimClient(sim);
    client.applySync(configMap('saved'));
    expect(drained(sim).upserts).toEqual(['saved=1']);

    // Born and gone since the last save: nothing to write. The saved one: its row goes.
    client.applySync(configMap('brief'));
    sim.api.delete('ConfigMap', 'default', 'brief');
    sim.api.delete('ConfigMap', 'default', 'saved');
    expect(drained(sim)).toEqual({ upserts: [], deletes: ['ConfigMap/default/saved'] });

    // Saved again, then deleted and created anew before the next save: the row is written over.
    client.applySync(configMap('again'));
    drained(sim);
    sim.api.delete('ConfigMap', 'default', 'again');
    client.applySync(configMap('again', '2'));
    expect(drained(sim)).toEqual({ upserts: ['again=2'], deletes: [] });

    // And deleted, created, deleted again: the saved row must still go.
    sim.api.delete('ConfigMap', 'default', 'again');
    client.applySync(configMap('again', '3'));
    sim.api.delete('ConfigMap', 'default', 'again');
    expect(drained(sim)).toEqual({ upserts: [], deletes: ['ConfigMap/default/again'] });
  });
});
