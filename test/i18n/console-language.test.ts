/** LOCALE sets the console's language; the console renders each turn in the language the engine chose. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runConsole } from '../../adapters/console/console-adapter.ts';
import { t } from '../../src/catalog/catalog.ts';
import { parseConfig } from '../../src/config.ts';
import { createFlowHarness } from '../helpers/flow-harness.ts';

describe('the console language', () => {
  it('LOCALE takes en, zh-CN, es or ru (English by default) and refuses anything else in plain words', () => {
    const plain = parseConfig({});
    expect(plain.ok && plain.config.locale).toBe('en');
    const chinese = parseConfig({ LOCALE: 'zh-CN' });
    expect(chinese.ok && chinese.config.locale).toBe('zh-CN');
    const wrong = parseConfig({ LOCALE: 'klingon' });
    expect(wrong.ok).toBe(false);
    if (!wrong.ok)
      expect(wrong.problems).toEqual([expect.stringMatching(/^LOCALE: must be one of en, zh-CN, es, ru/)]);
  });

  it('speaks the console language, and the /language choice from then on', async () => {
    const h = await createFlowHarness({ linkedUserId: 'console' });
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => {
      shown += chunk.toString('utf8');
    });
    const done = runConsole({ engine: h.engine, input, output, locale: 'zh-CN' });
    input.end('/help\n/language ru\n/help\n');
    await done;
    const help = shown.indexOf(t('zh-CN', 'common.help'));
    const changed = shown.indexOf(t('ru', 'language.changed', { language: { key: 'language.name.ru' } }));
    const helpRu = shown.indexOf(t('ru', 'common.help'));
    expect(help).toBeGreaterThanOrEqual(0);
    expect(changed).toBeGreaterThan(help);
    expect(helpRu).toBeGreaterThan(changed);
    expect((await h.account()).locale).toBe('ru');
  });
});
