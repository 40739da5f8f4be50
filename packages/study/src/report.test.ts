import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeJsonAtomic } from '@procpt/core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from './report.js';

const CHROMIUM = '/usr/bin/chromium';
let out: string;

// A study directory as `procpt study run` leaves it, with made-up but plausible numbers.
async function fakeStudy(dir: string): Promise<void> {
  await writeJsonAtomic(join(dir, 'study.json'), {
    format: 'procpt.study',
    version: 1,
    preset: 'tiny',
    experiments: ['diagnostics', 'transfer-parts', 'assembly'],
    invocations: [
      {
        experiments: ['diagnostics'],
        backend: 'wasm',
        wallMs: 61_000,
        executed: 9,
        finishedAt: '2026-01-01T00:00:00Z',
      },
    ],
  });
  const accuracy: Record<string, number> = {
    none: 0.11,
    dyck: 0.9,
    'shuffled-dyck': 0.1,
    'dyck-attn': 0.8,
    eca: 0.12,
    'set-attn': 0.85,
    asm: 0.93,
  };
  for (const [label, acc] of Object.entries(accuracy)) {
    for (const seed of [0, 1, 2]) {
      const name = `haystack-${label}-s${seed}`;
      const shuffled = label.startsWith('shuffled-');
      const procedural =
        label === 'none'
          ? 'none'
          : label === 'asm'
            ? 'set+eca'
            : label.replace(/^shuffled-/, '').split('-')[0];
      const transfer = label.endsWith('-attn')
        ? 'attn'
        : label === 'none' || label === 'asm'
          ? undefined
          : 'everything';
      const value = acc + 0.01 * seed;
      await writeJsonAtomic(join(dir, 'finetune', name, 'result.json'), {
        format: 'procpt.run-summary',
        version: 1,
        run: name,
        seed,
        kind: 'diagnostic',
        task: 'haystack',
        procedural,
        ...(transfer ? { transfer } : {}),
        ...(shuffled ? { shuffled } : {}),
        ...(label === 'asm' ? { assembly: 'set:attn+eca:ffn' } : {}),
        metrics: { accuracy: value, exactMatch: value },
        curve: [10, 20, 30].map((step) => ({ step, metrics: { accuracy: (value * step) / 30 } })),
      });
      await writeJsonAtomic(join(dir, 'finetune', name, 'study-run.json'), {
        id: `finetune/${name}`,
        backend: 'wasm',
        wallMs: 2000,
        resumed: false,
        finishedAt: 'x',
      });
    }
  }
  for (const label of ['dyck', 'shuffled-dyck', 'set', 'eca']) {
    await writeJsonAtomic(join(dir, 'pretrain', `${label}-2_4_16-s42`, 'warmup.json'), {
      run: `pretrain/${label}-2_4_16-s42`,
      label,
      type: label.replace('shuffled-', ''),
      shuffled: label.startsWith('shuffled-'),
      mixture: null,
      size: '2_4_16',
      steps: 60,
      tokens: 61_440,
      accuracy: 0.42,
      loss: 1.9,
      ...(label === 'dyck'
        ? { ownTask: { metric: 'closing-bracket', accuracy: 0.995, count: 1800, samples: 64 } }
        : {}),
      backend: 'wasm',
      wallMs: 3000,
    });
  }
  // semantic runs: union reaches the baseline's final loss with half the tokens
  for (const domain of ['language', 'math']) {
    for (const procedural of ['none', 'union']) {
      for (const seed of [0, 1]) {
        const name = `semantic-${domain}-${procedural}-s${seed}`;
        const losses = procedural === 'none' ? [4, 3, 2] : [3, 2, 1.5];
        await writeJsonAtomic(join(dir, 'finetune', name, 'result.json'), {
          format: 'procpt.run-summary',
          version: 1,
          run: name,
          seed,
          kind: 'semantic',
          task: domain,
          procedural,
          metrics: {
            loss: losses[2],
            ...(domain === 'math' ? { problemAccuracy: procedural === 'none' ? 0.2 : 0.25 } : {}),
          },
          curve: losses.map((loss, i) => ({ step: i + 1, tokens: 1000 * (i + 1), metrics: { loss } })),
        });
      }
    }
  }
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'procpt-report-'));
  await fakeStudy(out);
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('study report', () => {
  it('writes the machine-readable rows the issue specifies', async () => {
    const { json } = await writeReport(out);
    const rows = Object.fromEntries(json.diagnostics.map((d) => [`${d.task}/${d.pretraining}`, d]));
    expect(Object.keys(rows).sort()).toEqual([
      'haystack/dyck',
      'haystack/eca',
      'haystack/none',
      'haystack/shuffled-dyck',
    ]);
    expect(rows['haystack/dyck']).toMatchObject({ seeds: 3 });
    expect(rows['haystack/dyck']!.mean).toBeCloseTo(0.91, 10);
    expect(rows['haystack/dyck']!.ci[0]).toBeGreaterThanOrEqual(0.9);
    expect(rows['haystack/dyck']!.ci[1]).toBeLessThanOrEqual(0.92);
    expect(json.transferParts.map((r) => `${r.pretraining}:${r.parts}`).sort()).toEqual(
      expect.arrayContaining(['dyck:attn', 'set:attn', 'dyck:everything']),
    );
    expect(json.assembly).toEqual([expect.objectContaining({ pretraining: 'set:attn+eca:ffn', seeds: 3 })]);
    const semantic = Object.fromEntries(json.semantic.map((r) => [`${r.domain}/${r.pretraining}`, r]));
    expect(semantic['language/union']).toMatchObject({ tokensToBaselineLoss: 2000, ratio: 2 / 3, seeds: 2 });
    expect(semantic['math/union']).toMatchObject({ finalLoss: 1.5, seeds: 2 });
    expect(semantic['math/union']!.problemAccuracy).toBeCloseTo(0.25, 10);
    expect(semantic['language/none']!.problemAccuracy).toBeNull();
    const dyck = json.warmups.find((w) => w.pretraining === 'dyck');
    expect(dyck).toMatchObject({ taskMetric: 'closing-bracket', taskAccuracy: 0.995 });
    expect(json.warmups.find((w) => w.pretraining === 'set')).toMatchObject({ taskMetric: null });
    expect(json.wallMs).toBe(61_000);
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| haystack \| dyck \| 91\.0 \[90\.0, 92\.0\] \(n=3\) \| 96\.9 \|/);
    expect(md).toMatch(/set:attn\+eca:ffn \| 94\.0 \[93\.0, 95\.0\] \(n=3\) · paper 94\.4/);
    expect(md).toMatch(/\| dyck \| 2_4_16 \| 60 \| [^|]+ \| closing brackets \| 99\.5 \|/);
    expect(md).toMatch(/\| math \| union \| 1\.500 \| 4\.48 \| 2000 \| 66\.7 \| 25\.0 \| 2 \|/);
  });

  it.skipIf(!existsSync(CHROMIUM))(
    'renders in headless Chromium with no console errors and every table visible',
    async () => {
      await writeReport(out);
      const html = await readFile(join(out, 'report.html'), 'utf8');
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('request', (r) => {
          if (!r.url().startsWith('file:')) problems.push(`network: ${r.url()}`);
        });
        await page.goto(pathToFileURL(join(out, 'report.html')).href);
        const tables = page.locator('table[data-report-table]');
        const ids = await tables.evaluateAll((ts) => ts.map((t) => t.id));
        expect(ids).toEqual(
          expect.arrayContaining([
            'headline',
            'procedural-type',
            'warmups',
            'transfer-parts',
            'weight-assembly',
            'semantic-paper',
            'semantic',
          ]),
        );
        for (let i = 0; i < ids.length; i++) {
          const t = tables.nth(i);
          expect(await t.isVisible()).toBe(true);
          expect(await t.locator('tbody tr').count()).toBeGreaterThan(0);
        }
        const svgs = page.locator('figure svg');
        expect(await svgs.count()).toBeGreaterThanOrEqual(2);
        const box = await svgs.first().boundingBox();
        expect(box?.width).toBeGreaterThan(100);
        expect(problems).toEqual([]);
      } finally {
        await browser.close();
      }
    },
  );
});
