/**
 * The local console at `/`, in headless Chromium (Debian's, driven by puppeteer-core): runs
 * by tier and level, executions drawn on their state machine with each state's status,
 * input and output, import reports, and refreshes while open.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { LocalSystem } from '../../local/system.ts';
import { chromiumPath } from '../support/chromium.ts';
import { tinyStore } from '../support/lifecycle.ts';
import { client, startTestSystem } from '../support/system.ts';

describe('the local console', () => {
  let sys: LocalSystem;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const executablePath = chromiumPath();
    sys = await startTestSystem(tinyStore('con', { periodMs: 1000, sealGraceMs: 100, gcGraceMs: 100 }), { retryIntervalMs: 0 });
    const api = client(sys.url);
    for (let i = 0; i < 30; i++) assert.equal((await api.put('team', `e${i}`, { i })).status, 200);
    await new Promise((r) => setTimeout(r, 1200));
    await sys.runLifecycle();
    // Root (CI) needs --no-sandbox.
    browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(`${sys.url}/`, { waitUntil: 'load' });
  });
  afterAll(async () => {
    await browser?.close();
    await sys?.stop();
  });

  it('shows the runs by tier and level, as the manifest has them', async () => {
    await page.waitForSelector('#runs table');
    const rows = await page.$$eval('#runs tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const m = await sys.dataPlane.manifest();
    const expected = new Map<string, number>();
    for (const r of m.runs) expected.set(`${r.tier} ${r.level}`, (expected.get(`${r.tier} ${r.level}`) ?? 0) + 1);
    assert.deepEqual(new Map(rows.map((r) => [`${r[0]} ${r[1]}`, Number(r[2])])), expected);
    assert.ok(
      rows.some((r) => r[0] === 'cold'),
      'the offloaded period is a cold run',
    );
  });

  it("lists the executions and draws the chosen one on its state machine, with each state's input and output", async () => {
    const exec = sys.stepFunctions.executions().find((e) => e.stateMachine === 'con-lifecycle' && e.status === 'SUCCEEDED')!;
    await page.waitForSelector(`tr.execution[data-arn="${exec.executionArn}"]`);
    await page.click(`tr.execution[data-arn="${exec.executionArn}"]`);
    await page.waitForSelector('#detail svg g.state[data-state="Rotate"].succeeded');
    const drawn = await page.$$eval('#detail svg g.state', (gs) => gs.map((g) => [g.getAttribute('data-state'), g.getAttribute('class')]));
    for (const name of ['Rotate', 'PlanOffload', 'Scan', 'Merge', 'Verify', 'Commit', 'CollectGarbage']) {
      assert.ok(
        drawn.some(([n, c]) => n === name && c!.includes('succeeded')),
        `${name} drawn as succeeded: ${JSON.stringify(drawn)}`,
      );
    }
    await page.click('#detail details[data-state="Verify"] summary');
    const output = await page.$eval('#detail details[data-state="Verify"] pre.output', (p) => p.textContent);
    assert.match(output!, /"run"/);
  });

  it('refreshes while open: a new execution appears without a reload', async () => {
    const before = await page.$$eval('tr.execution', (trs) => trs.length);
    const r = await sys.runLifecycle();
    await page.waitForSelector(`tr.execution[data-arn="${r.executionArn}"]`, { timeout: 10_000 });
    assert.ok((await page.$$eval('tr.execution', (trs) => trs.length)) > before);
  });

  it("shows an import's report", async () => {
    const api = client(sys.url);
    const created = await api.call<{ id: string; uploadUrls: string[] }>('POST', '/v1/imports', { format: 'ndjson', onInvalid: 'skip' });
    await fetch(created.body.uploadUrls[0]!, { method: 'PUT', body: '{"pk":"imp","sk":"a","value":1}\nnot json\n' });
    assert.equal((await api.call('POST', `/v1/imports/${created.body.id}/commit`)).status, 202);
    for (let i = 0; i < 200 && (await api.call<{ state: string }>('GET', `/v1/imports/${created.body.id}`)).body.state === 'running'; i++)
      await new Promise((r) => setTimeout(r, 50));
    // Evaluated in the page (a string: this project's TypeScript has no DOM types).
    await page.waitForFunction(
      `[...document.querySelectorAll('#imports tbody tr')].some((tr) => tr.textContent.includes(${JSON.stringify(created.body.id)}) && tr.textContent.includes('succeeded'))`,
      { timeout: 10_000 },
    );
    const row = await page.$$eval('#imports tbody tr', (trs, id) => trs.find((tr) => tr.textContent!.includes(id as string))!.textContent, created.body.id);
    assert.match(row!, /line 2/);
    if (process.env.ALKI_SCREENSHOT) await page.screenshot({ path: process.env.ALKI_SCREENSHOT, fullPage: true });
  });
});
