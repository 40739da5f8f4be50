// Type test, compiled by `pnpm typecheck` (tsc) and never run: generator specs are typed per type, so a
// typo in a type or parameter name, or a parameter of the wrong type, does not compile. Every
// `@ts-expect-error` below fails the typecheck if its line ever compiles.
import {
  type Generator,
  type GeneratorSpec,
  type GeneratorType,
  type MixtureSpec,
  createGenerator,
  generateTokenChunks,
  specOf,
} from './index.js';

// Valid specs, one per kind of type.
const ok: Generator[] = [
  createGenerator({ type: 'dyck', seed: 42, k: 64, length: 2048, pOpen: 0.5 }),
  createGenerator({ type: 'dyck-shuffle', maxDepth: 8 }),
  createGenerator({ type: 'sort', vocabSize: 16, length: 8 }),
  createGenerator({ type: 'union', length: 10 }),
  createGenerator({ type: 'stack' }),
  createGenerator({ type: 'eca', rule: 30, width: 16, rows: 3 }),
  createGenerator({ type: 'markov', states: 10, alpha: 0.5 }),
  createGenerator({ type: 'shuffled', base: { type: 'dyck', k: 4 } }),
  createGenerator({
    type: 'mixture',
    layout: 'offset',
    components: [
      { type: 'set', weight: 3 },
      { type: 'union', weight: 1, length: 8 },
    ],
  }),
  createGenerator(specOf(createGenerator({ type: 'ww' }))),
];
void ok;

// @ts-expect-error an unknown type
createGenerator({ type: 'nope' });
// @ts-expect-error a typo in a type name
createGenerator({ type: 'dyk', k: 8 });
// @ts-expect-error a parameter of another type (k is Dyck's)
createGenerator({ type: 'sort', k: 8 });
// @ts-expect-error a typo in a parameter name
createGenerator({ type: 'dyck', kk: 8 });
// @ts-expect-error a parameter of the wrong type
createGenerator({ type: 'dyck', length: '64' });
// @ts-expect-error a seed of the wrong type
createGenerator({ type: 'eca', seed: 'one' });
// @ts-expect-error the type is required
createGenerator({ k: 8 });
// @ts-expect-error shuffled needs its base
createGenerator({ type: 'shuffled' });
// @ts-expect-error a shuffled base is itself checked
createGenerator({ type: 'shuffled', base: { type: 'dyck', width: 3 } });
// @ts-expect-error mixture components need a weight
createGenerator({ type: 'mixture', components: [{ type: 'set' }] });
// @ts-expect-error mixture components are checked per type
createGenerator({ type: 'mixture', components: [{ type: 'set', weight: 1, rule: 30 }] });
// @ts-expect-error an unknown mixture layout
createGenerator({ type: 'mixture', components: [{ type: 'set', weight: 1 }], layout: 'stacked' });
// @ts-expect-error generateTokenChunks takes the same typed spec
generateTokenChunks({ type: 'sortt' }, { samples: 1 });

// A spec built at run time (e.g. from JSON) is passed with a cast; createGenerator validates it then.
const fromJson = JSON.parse('{"type":"dyck","k":8}') as { type: string; [param: string]: unknown };
createGenerator(fromJson as GeneratorSpec);
// @ts-expect-error without the cast, a `type: string` spec does not compile
createGenerator(fromJson);

// The type names are a union of literals.
const names: GeneratorType[] = ['dyck', 'mixture', 'shuffled', 'markov'];
// @ts-expect-error not a type name
const notAName: GeneratorType = 'dyck ';
const mixture: MixtureSpec['type'] = 'mixture';
void [names, notAName, mixture];
