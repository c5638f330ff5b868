// The local console: the store's runs, schedules, executions (drawn on their state machine)
// and imports, from the local system's own endpoints, refreshed every 2 seconds while open.
// Plain browser JavaScript, served as is: no build step.

const REFRESH_MS = 2000;
let selected = new URLSearchParams(location.search).get('execution') ?? undefined;
const definitions = new Map();

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
const svgEl = (tag, attrs = {}, ...children) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
};
const bytes = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '');
const seconds = (a, b) => (a && b ? `${((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1)} s` : '');

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

function table(head, rows, numeric = []) {
  return el(
    'table',
    {},
    el('thead', {}, el('tr', {}, ...head.map((h, i) => el('th', numeric.includes(i) ? { class: 'num' } : {}, h)))),
    el('tbody', {}, ...rows.map((r) => (r instanceof Node ? r : el('tr', {}, ...r.map((c, i) => el('td', numeric.includes(i) ? { class: 'num' } : {}, c)))))),
  );
}

function renderRuns(manifest) {
  $('#manifest').textContent = `manifest version ${manifest.version}`;
  // A hot run spans one period: the shortest span is the period's length.
  const periodMs = Math.min(...manifest.runs.map((r) => r.periodEnd - r.periodStart));
  const groups = new Map();
  for (const r of manifest.runs) {
    const k = `${r.tier}\t${r.level}`;
    const g = groups.get(k) ?? { tier: r.tier, level: r.level, runs: 0, records: 0, bytes: 0, periods: 0 };
    g.runs++;
    g.records += r.count;
    g.bytes += r.bytes;
    g.periods += Math.round((r.periodEnd - r.periodStart) / periodMs);
    groups.set(k, g);
  }
  const rows = [...groups.values()].sort((a, b) => (a.tier === b.tier ? a.level - b.level : a.tier === 'hot' ? -1 : 1));
  const body = $('#runs .body');
  body.replaceChildren(
    rows.length === 0
      ? el('p', { class: 'empty' }, 'No runs.')
      : table(
          ['tier', 'level', 'runs', 'records', 'bytes', 'periods'],
          rows.map((g) => [g.tier, g.level, g.runs, g.records.toLocaleString(), bytes(g.bytes), g.periods]),
          [1, 2, 3, 4, 5],
        ),
  );
}

function renderSchedules(s) {
  $('#schedules .body').replaceChildren(
    table(
      ['rule', 'enabled', 'every', 'runs'],
      s.schedules.map((x) => [x.name, x.enabled ? 'yes' : 'paused', x.everyMs < 1000 ? `${x.everyMs} ms` : `${(x.everyMs / 1000).toFixed(0)} s`, x.runs ?? '']),
      [3],
    ),
  );
}

function renderExecutions(executions) {
  const recent = [...executions].sort((a, b) => Date.parse(b.startDate) - Date.parse(a.startDate)).slice(0, 40);
  if (!selected && recent.length > 0) selected = recent[0].executionArn;
  const rows = recent.map((x) => {
    const tr = el(
      'tr',
      { class: `execution${x.executionArn === selected ? ' selected' : ''}`, 'data-arn': x.executionArn },
      el('td', {}, x.stateMachine),
      el('td', {}, x.name),
      el('td', { class: `status ${x.status}` }, x.status),
      el('td', {}, time(x.startDate)),
      el('td', { class: 'num' }, seconds(x.startDate, x.stopDate)),
    );
    tr.addEventListener('click', () => {
      selected = x.executionArn;
      history.replaceState(null, '', `?execution=${encodeURIComponent(selected)}`);
      void refresh();
    });
    return tr;
  });
  $('#executions .body').replaceChildren(
    rows.length === 0 ? el('p', { class: 'empty' }, 'No executions yet.') : table(['state machine', 'name', 'status', 'started', 'took'], rows, [4]),
  );
}

/** Each state's status in an execution, from its events. */
function stateStatus(events) {
  const s = new Map();
  for (const e of events) {
    if (!e.state) continue;
    const x = s.get(e.state) ?? { entered: 0, exited: 0, failed: 0, input: undefined, output: undefined, error: undefined };
    if (e.type === 'StateEntered') {
      x.entered++;
      x.input ??= e.input;
    }
    if (e.type === 'StateExited') {
      x.exited++;
      x.output = e.output;
    }
    if (e.type === 'StateFailed' || e.type === 'StateCaught') {
      x.failed++;
      x.error = e.error ?? x.error;
    }
    s.set(e.state, x);
  }
  return s;
}
const statusOf = (x) => (!x ? 'idle' : x.exited > 0 && x.failed === 0 ? 'succeeded' : x.failed > 0 ? 'failed' : x.entered > x.exited ? 'running' : 'idle');

/** States in drawing order: the paths from StartAt (Next, Choices, Default) first, then the states only a Catch reaches. */
function order(def) {
  const seen = [];
  const visit = (name) => {
    if (!name || seen.includes(name) || !def.States[name]) return;
    seen.push(name);
    const s = def.States[name];
    for (const n of [...(s.Choices ?? []).map((c) => c.Next), s.Default, s.Next]) visit(n);
  };
  visit(def.StartAt);
  for (const s of Object.values(def.States)) for (const c of s.Catch ?? []) visit(c.Next);
  return seen;
}

const BOX_W = 260;
const BOX_H = 34;
const GAP = 14;
const INDENT = 18;

/** Lays out a state machine (Map states hold their own, indented); returns the height used. */
function layout(def, x, y, boxes, edges, statuses) {
  let cursor = y;
  for (const name of order(def)) {
    const s = def.States[name];
    const inner = s.ItemProcessor ?? s.Iterator;
    const top = cursor;
    const box = { name, type: s.Type, x, y: top, w: BOX_W - (x - 10), h: BOX_H, status: statusOf(statuses.get(name)), map: Boolean(inner) };
    boxes.push(box);
    cursor += BOX_H;
    if (inner) {
      cursor = layout(inner, x + INDENT, cursor + 6, boxes, edges, statuses) + 6;
      box.h = cursor - top;
    }
    cursor += GAP;
    // Catch edges (to the failure states) are left out: every task has them.
    for (const n of [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next)]) if (n) edges.push([name, n]);
  }
  return cursor - GAP;
}

function drawMachine(def, statuses) {
  const boxes = [];
  const edges = [];
  const height = layout(def, 10, 10, boxes, edges, statuses) + 10;
  const byName = new Map(boxes.map((b) => [b.name, b]));
  const svg = svgEl('svg', { width: BOX_W + 120, height, viewBox: `0 0 ${BOX_W + 120} ${height}`, role: 'img', 'aria-label': 'state machine' });
  svg.append(
    svgEl(
      'defs',
      {},
      svgEl(
        'marker',
        { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' },
        svgEl('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#9aa5ae' }),
      ),
    ),
  );
  for (const [from, to] of edges) {
    const a = byName.get(from);
    const b = byName.get(to);
    if (!a || !b) continue;
    const ax = a.x + a.w;
    const ay = a.y + BOX_H / 2;
    const bx = b.x + b.w;
    const by = b.y + BOX_H / 2;
    const reach = 24 + (Math.abs(by - ay) / height) * 70;
    svg.append(svgEl('path', { class: 'edge', d: `M${ax},${ay} C${ax + reach},${ay} ${bx + reach},${by} ${bx + 1},${by}` }));
  }
  for (const b of boxes) {
    const g = svgEl('g', { class: `state ${b.status}${b.map ? ' map' : ''}`, 'data-state': b.name });
    g.append(svgEl('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 5 }));
    g.append(svgEl('text', { x: b.x + 10, y: b.y + 21 }, b.name));
    g.append(svgEl('text', { class: 'type', x: b.x + b.w - 10, y: b.y + 21, 'text-anchor': 'end' }, b.type));
    g.append(svgEl('title', {}, `${b.name}: ${b.status}`));
    svg.append(g);
  }
  return svg;
}

async function renderDetail(executions) {
  const x = executions.find((e) => e.executionArn === selected);
  const body = $('#detail .body');
  if (!x) {
    body.replaceChildren(el('p', { class: 'empty' }, 'Choose an execution.'));
    return;
  }
  const machine = x.stateMachine.replace(/^[^-]+-/, '');
  if (!definitions.has(machine)) definitions.set(machine, await getJson(`/local/state-machines/${encodeURIComponent(machine)}`));
  const statuses = stateStatus(x.events);
  const states = [...statuses.entries()].map(([name, s]) =>
    el(
      'details',
      { 'data-state': name },
      el('summary', {}, el('span', { class: `status ${statusOf(s)}` }, name), ` · entered ${s.entered}×${s.error ? ` · ${s.error}` : ''}`),
      el('div', {}, 'input'),
      el('pre', { class: 'input' }, JSON.stringify(s.input, null, 2) ?? ''),
      el('div', {}, 'output'),
      el('pre', { class: 'output' }, JSON.stringify(s.output, null, 2) ?? ''),
    ),
  );
  const open = new Set([...body.querySelectorAll('details[open]')].map((d) => d.dataset.state));
  for (const d of states) if (open.has(d.dataset.state)) d.setAttribute('open', '');
  body.replaceChildren(
    el(
      'p',
      {},
      el('strong', {}, x.name),
      ' ',
      el('span', { class: `status ${x.status}` }, x.status),
      ` · ${x.stateMachine} · started ${time(x.startDate)}${x.error ? ` · ${x.error}: ${x.cause ?? ''}` : ''}`,
    ),
    drawMachine(definitions.get(machine), statuses),
    ...states,
  );
}

async function renderImports(executions) {
  const ids = [
    ...new Set(
      executions
        .filter((e) => e.stateMachine.endsWith('-import'))
        .map((e) => e.input?.importId)
        .filter(Boolean),
    ),
  ];
  const reports = await Promise.all(ids.map((id) => getJson(`/v1/imports/${encodeURIComponent(id)}`).catch(() => undefined)));
  const rows = reports
    .filter(Boolean)
    .map((r) => [
      r.id,
      el('span', { class: `status ${r.state === 'succeeded' ? 'SUCCEEDED' : r.state === 'failed' ? 'FAILED' : 'RUNNING'}` }, r.state),
      r.counts?.valid ?? '',
      r.counts?.invalid ?? '',
      r.counts?.records ?? '',
      r.errors?.[0] ? `line ${r.errors[0].line}: ${r.errors[0].reason}` : (r.cause ?? ''),
    ]);
  $('#imports .body').replaceChildren(
    rows.length === 0 ? el('p', { class: 'empty' }, 'No imports.') : table(['import', 'state', 'valid', 'invalid', 'records', 'first error'], rows, [2, 3, 4]),
  );
}

async function refresh() {
  try {
    const [runs, schedules, executions] = await Promise.all([getJson('/v1/runs'), getJson('/local/schedules'), getJson('/local/executions')]);
    renderRuns(runs);
    renderSchedules(schedules);
    renderExecutions(executions.executions);
    await Promise.all([renderDetail(executions.executions), renderImports(executions.executions)]);
    $('#refreshed').textContent = `refreshed ${new Date().toLocaleTimeString()}`;
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1);
  } catch (err) {
    $('#refreshed').textContent = `refresh failed: ${err.message}`;
  }
}

await refresh();
setInterval(() => void refresh(), REFRESH_MS);
