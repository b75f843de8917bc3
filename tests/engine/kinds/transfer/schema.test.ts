import { BACKEND_NAMES } from '../../../../src/engine/backends';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { INVARIANT_IDS } from '../../../../src/engine/invariants/types';
import { transferFields, transferSpecSchema } from '../../../../src/engine/kinds/transfer/schema';

const ROOT = path.resolve(__dirname, '../../../..');
const MNIST_DIR = path.join(ROOT, 'scenarios/mnist');

describe('transferSpecSchema', () => {
  test('fills the defaults', () => {
    expect(transferSpecSchema.parse({ kind: 'transfer', dataset: 'mnist', architecture: 'mlp', variant: 'frozen' })).toEqual({
      kind: 'transfer',
      dataset: 'mnist',
      architecture: 'mlp',
      variant: 'frozen',
      epochs: 3,
      profile: 'quick',
      maxGapPoints: 5,
      seed: 1,
    });
  });

  test.each([
    ['an unknown variant', { variant: 'frozen-ish' }],
    ['an unknown architecture', { architecture: 'resnet' }],
    ['another dataset', { dataset: 'cifar10' }],
    ['zero epochs', { epochs: 0 }],
    ['a fractional seed', { seed: 1.5 }],
    ['a negative gap limit', { maxGapPoints: -1 }],
    ['a domain shift without contrast', { domainShift: { brightness: 0.1 } }],
    ['an unknown key', { batchSize: 32 }],
  ])('rejects %s', (_title, override) => {
    expect(transferSpecSchema.safeParse({ kind: 'transfer', dataset: 'mnist', architecture: 'mlp', variant: 'frozen', ...override }).success).toBe(false);
  });
});

describe('scenarios/mnist/*.yaml', () => {
  // The fields every scenario has, as src/scenarios/schema.ts declares them (a stand-in until the
  // transfer kind is wired into scenarioSchema).
  const scenarioSchema = z
    .object({
      id: z.string(),
      description: z.string().min(1),
      provenance: z.string().min(1),
      tags: z.array(z.string()).min(1),
      invariant: z.enum(INVARIANT_IDS),
      backends: z.array(z.enum(BACKEND_NAMES)).min(1).optional(),
      ...transferFields,
    })
    .strict();
  const vocabulary = Object.keys((parse(fs.readFileSync(path.join(ROOT, 'scenarios/tags.yaml'), 'utf8')) as { tags: Record<string, string> }).tags);
  const files = fs.readdirSync(MNIST_DIR).filter((f) => f.endsWith('.yaml')).sort();

  test('the five scenarios exist', () => {
    expect(files).toEqual(['conv-frozen-base.yaml', 'mlp-control.yaml', 'mlp-frozen-base-shifted.yaml', 'mlp-frozen-base.yaml', 'mobilenet-v2-frozen-base.yaml']);
  });

  test.each(files)('%s: valid, id = path, known tags, cites MNIST', (file) => {
    const scenario = scenarioSchema.parse(parse(fs.readFileSync(path.join(MNIST_DIR, file), 'utf8')));
    expect(scenario.id).toBe(`mnist/${file.replace(/\.yaml$/, '')}`);
    expect(scenario.tags.filter((t) => !vocabulary.includes(t))).toEqual([]);
    expect(scenario.invariant).toBe('mode-switch');
    expect(scenario.provenance).toMatch(/LeCun/);
    expect(scenario.provenance).toMatch(/Cortes/);
    expect(scenario.provenance).toMatch(/Burges/);
  });
});
