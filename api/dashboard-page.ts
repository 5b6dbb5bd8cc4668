// The dashboard page: one HTML document with its CSS and script inline (no CDN, no fonts, no
// network beyond its own /dashboard/api/… JSON). Charts arrive as SVG strings rendered on the
// server by api/charts.ts; everything user-supplied is inserted with textContent. The script's
// hash goes into the Content-Security-Policy, so nothing else can run or load on the page.
import { createHash } from 'node:crypto';

const CSS = `
:root { --fg:#111827; --muted:#6b7280; --line:#e5e7eb; --bg:#f3f4f6; --card:#fff; --blue:#2563eb; --green:#16a34a; --red:#dc2626; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; background:#111827; color:#fff; }
header h1 { font-size:17px; margin:0; font-weight:650; }
header .serving { color:#d1d5db; font-size:13px; }
header button { margin-left:auto; }
main { padding:16px 20px 40px; display:grid; gap:16px; max-width:1280px; margin:0 auto; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
h2 { font-size:15px; margin:0 0 10px; }
h3 { font-size:13px; margin:0 0 6px; color:#374151; text-transform:uppercase; letter-spacing:.03em; }
.charts { display:flex; flex-wrap:wrap; gap:12px; }
.chart-box { margin:0; border:1px solid var(--line); border-radius:6px; padding:4px; background:#fff; }
table { border-collapse:collapse; width:100%; font-size:12.5px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; }
th.num { text-align:right; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
.cols { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
@media (max-width: 900px) { .cols { grid-template-columns:1fr; } }
form { display:flex; gap:8px; margin-bottom:10px; }
input { padding:5px 8px; border:1px solid #d1d5db; border-radius:5px; font:inherit; width:220px; }
button { padding:5px 12px; border:1px solid #1d4ed8; background:var(--blue); color:#fff; border-radius:5px; font:inherit; cursor:pointer; }
.badge { display:inline-block; padding:0 6px; border-radius:9px; font-size:11.5px; line-height:18px; white-space:nowrap; background:#e5e7eb; color:#374151; }
.badge.pass { background:#dcfce7; color:#166534; } .badge.fail { background:#fee2e2; color:#991b1b; }
.badge.live { background:#dbeafe; color:#1e40af; } .badge.rollback { background:#f3f4f6; color:#374151; }
.reason-because_you_watched { background:#dbeafe; color:#1e40af; } .reason-trending { background:#ffedd5; color:#9a3412; }
.reason-new_for_you { background:#f3e8ff; color:#6b21a8; } .reason-popular { background:#e5e7eb; color:#374151; }
ol.feed { margin:0; padding-left:0; list-style:none; }
ol.feed li { display:grid; grid-template-columns:28px 1fr auto; gap:2px 8px; padding:5px 0; border-bottom:1px solid var(--line); }
ol.feed .rank { color:var(--muted); text-align:right; font-variant-numeric:tabular-nums; }
ol.feed .meta { grid-column:2 / 4; color:var(--muted); font-size:12px; }
.note { color:var(--muted); font-style:italic; margin:6px 0; }
.error { color:var(--red); }
.summary { margin:0 0 8px; color:#374151; }
a.link { color:var(--blue); cursor:pointer; text-decoration:none; } a.link:hover { text-decoration:underline; }
.small { font-size:12px; color:var(--muted); }
.scroll { max-height:460px; overflow:auto; }
.screen-row { margin:0 0 10px; } .screen-row h4 { font-size:13px; margin:0 0 4px; }
ol.row-items { margin:0; padding:0; list-style:none; display:flex; flex-wrap:wrap; gap:4px 6px; }
ol.row-items li { border:1px solid var(--line); border-radius:5px; padding:2px 6px; font-size:12.5px; }
select { padding:5px 8px; border:1px solid #d1d5db; border-radius:5px; font:inherit; max-width:360px; }
`;

const SCRIPT = `
(() => {
  'use strict';
  const base = location.pathname.replace(/\\/+$/, '');
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  const fx = (v, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));
  const when = (iso) => (iso ? String(iso).replace('T', ' ').replace(/(:\\d\\d)(\\.\\d+)?Z$/, '$1 UTC') : '–');
  async function getJson(path) {
    const r = await fetch(base + path, { headers: { accept: 'application/json' } });
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
    return body;
  }
  const note = (text, cls = 'note') => el('p', { class: cls }, text);
  const titleLink = (id, text) => {
    const a = el('a', { class: 'link title-link', 'data-movie-id': id, title: 'look up ' + id }, text || id);
    a.addEventListener('click', () => go({ title: id }));
    return a;
  };
  const userLink = (id) => {
    const a = el('a', { class: 'link user-link', 'data-user-id': id, title: 'look up ' + id }, id);
    a.addEventListener('click', () => go({ user: id }));
    return a;
  };

  async function loadRuns() {
    const box = $('runs-charts'), table = $('runs-table'), msg = $('runs-note');
    try {
      const d = await getJson('/api/runs');
      box.replaceChildren(...d.charts.map((c) => { const f = el('figure', { class: 'chart-box', 'data-chart': c.id }); f.innerHTML = c.svg; return f; }));
      msg.replaceChildren();
      if (d.error) msg.append(note(d.error.message, 'error'));
      if (d.runs.length === 0) { msg.append(note(d.note || 'No model runs published yet.', 'note no-data')); table.replaceChildren(); }
      else {
        const rows = d.runs.slice().reverse().slice(0, 15).map((r) => el('tr', { 'data-version': r.version },
          el('td', {}, when(r.created_at)), el('td', {}, r.version),
          el('td', {}, (r.gated_model || r.run_model || '') + (r.params && r.params.factors ? ' k=' + r.params.factors + ' e=' + r.params.epochs : '')),
          el('td', { class: 'num' }, fx(r.ndcg_10)), el('td', { class: 'num' }, fx(r.recall_20)), el('td', { class: 'num' }, fx(r.coverage_10, 3)),
          el('td', { class: 'num' }, fx(r.popularity.ndcg_10)),
          el('td', {}, el('span', { class: 'badge gate ' + (r.gate_passed ? 'pass' : 'fail'), title: r.gate_reason }, r.gate_outcome || (r.gate_passed ? 'pass' : 'fail')), ' ', el('span', { class: 'small' }, r.gate_reason)),
          el('td', {}, r.published ? 'yes' : 'no')));
        table.replaceChildren(el('thead', {}, el('tr', {}, ...['created (UTC)', 'version', 'model', 'NDCG@10', 'Recall@20', 'Cov@10', 'pop NDCG@10', 'gate', 'published'].map((h) => el('th', {}, h)))), el('tbody', {}, rows));
      }
      document.body.dataset.runs = String(d.runs.length);
    } catch (e) { msg.replaceChildren(note('could not load runs: ' + e.message, 'error')); }
  }

  async function loadVersions() {
    const box = $('versions');
    try {
      const d = await getJson('/api/versions');
      $('serving').textContent = 'serving ' + (d.serving || '(no model loaded)') + (d.live && d.live !== d.serving ? ' · live ' + d.live : '');
      const parts = [];
      if (d.error) parts.push(note(d.error, 'error'));
      if (d.versions.length === 0) parts.push(note('No versions in Redis yet: nothing has been published.'));
      else parts.push(el('table', { id: 'versions-table' }, el('thead', {}, el('tr', {}, ...['version', 'role', 'model', 'data as of', 'published', 'users', 'titles', 'NDCG@10'].map((h) => el('th', {}, h)))),
        el('tbody', {}, d.versions.map((v) => el('tr', { 'data-version': v.version, 'data-role': v.role },
          el('td', {}, v.version), el('td', {}, el('span', { class: 'badge ' + v.role }, v.role === 'live' ? 'live' : 'kept for rollback')),
          el('td', {}, v.model || '–'), el('td', {}, when(v.data_as_of)), el('td', {}, when(v.rolled_back_to_at || v.published_at) + (v.rolled_back_to_at ? ' (rollback)' : '')),
          el('td', { class: 'num' }, v.n_users ?? '–'), el('td', { class: 'num' }, v.n_items ?? '–'), el('td', { class: 'num' }, fx(v.ndcg_10)))))));
      box.replaceChildren(...parts);
    } catch (e) { box.replaceChildren(note('could not load versions: ' + e.message, 'error')); }
  }

  function describeEvent(h) {
    if (h.event_type === 'watch' && h.watch_seconds !== null) return Math.round(h.watch_seconds / 60) + ' min' + (h.duration_seconds ? ' of ' + Math.round(h.duration_seconds / 60) : '');
    if (h.event_type === 'rating' && h.rating !== null) return '★ ' + h.rating;
    return h.source || '';
  }

  const summary = (id, user, ...kids) => el('p', { class: 'summary', id, 'data-user': user }, ...kids);
  function renderRows(id, d) {
    const box = $('user-rows');
    if (!d.rows) { box.replaceChildren(note('rows unavailable: ' + ((d.rows_error && d.rows_error.message) || 'unknown error'), 'error')); return; }
    const r = d.rows;
    const parts = [summary('rows-summary', id, 'source ', el('span', { class: 'badge' }, r.source), ' · variant ', el('span', { class: 'badge' }, r.variant), ' · ' + r.rows.length + ' rows')];
    if (d.rows_note) parts.push(note(d.rows_note, 'note rows-note'));
    for (const row of r.rows) parts.push(el('div', { class: 'screen-row', 'data-kind': row.kind, 'data-because-of': row.because_of },
      el('h4', {}, row.title, ' ', el('span', { class: 'small' }, row.kind.replace(/_/g, ' '))),
      el('ol', { class: 'row-items' }, row.items.map((it) => el('li', { class: 'row-item', 'data-movie-id': it.movie_id, 'data-reason': it.reason, 'data-because-of': it.because_of },
        titleLink(it.movie_id, it.title || it.movie_id), it.because_of && row.kind !== 'because_you_watched' ? el('span', { class: 'small because' }, ' · because of ' + (it.because_of_title || it.because_of)) : null)))));
    box.replaceChildren(...parts);
  }
  // The up-next chooser: the user's watches (newest first), their other events, then what their screen shows.
  function chooseUpNext(id, d) {
    const sel = $('upnext-title'), seen = new Set(), opts = [];
    const add = (movieId, title, from) => { if (!seen.has(movieId)) { seen.add(movieId); opts.push(el('option', { value: movieId }, (title || movieId) + ' (' + from + ')')); } };
    for (const h of d.history) if (h.event_type === 'watch') add(h.movie_id, h.title, 'watched');
    for (const h of d.history) add(h.movie_id, h.title, h.event_type);
    if (d.rows) for (const row of d.rows.rows) for (const it of row.items) add(it.movie_id, it.title, 'on screen');
    sel.replaceChildren(...opts);
    sel.dataset.user = id;
    if (opts.length > 0) loadUpNext(id, sel.value); else $('user-upnext').replaceChildren(note('No title to start from.'));
  }
  let upNextSeq = 0;
  async function loadUpNext(id, movieId) {
    const box = $('user-upnext'), seq = ++upNextSeq;
    box.replaceChildren(note('loading…'));
    try {
      const d = await getJson('/api/users/' + encodeURIComponent(id) + '/up-next?movie_id=' + encodeURIComponent(movieId));
      if (seq !== upNextSeq) return;
      if (!d.up_next) { box.replaceChildren(note('up next unavailable: ' + ((d.error && d.error.message) || 'unknown error'), 'error')); return; }
      const u = d.up_next;
      const parts = [summary('upnext-summary', id, 'after ', titleLink(u.movie_id, d.movie_title || u.movie_id), ' · source ', el('span', { class: 'badge' }, u.source), ' · model ', u.model_version)];
      if (d.note) parts.push(note(d.note, 'note upnext-note'));
      parts.push(u.items.length === 0 ? note('Nothing to play next.') : el('ol', { class: 'feed' }, u.items.map((it, i) => el('li', { class: 'upnext-item', 'data-movie-id': it.movie_id, 'data-reason': it.reason },
        el('span', { class: 'rank' }, i + 1), el('span', {}, titleLink(it.movie_id, it.title || it.movie_id), ' ', el('span', { class: 'small' }, (it.genres || []).join(', '))),
        el('span', { class: 'badge reason reason-' + it.reason }, it.reason.replace(/_/g, ' ')), el('span', { class: 'meta' }, 'score ' + fx(it.score, 3) + ' · source ' + u.source)))));
      box.replaceChildren(...parts);
    } catch (e) { if (seq === upNextSeq) box.replaceChildren(note(e.message, 'error')); }
  }

  async function lookupUser(id) {
    const hist = $('user-history'), feed = $('user-feed');
    $('user-id').value = id;
    hist.replaceChildren(note('loading…')); feed.replaceChildren(); $('user-rows').replaceChildren(); $('user-upnext').replaceChildren(); $('upnext-title').replaceChildren();
    try {
      const d = await getJson('/api/users/' + encodeURIComponent(id));
      renderRows(id, d);
      chooseUpNext(id, d);
      if (d.history.length === 0) hist.replaceChildren(note(d.history_note || 'No interactions held for ' + id + '.'));
      else hist.replaceChildren(el('table', { class: 'history' }, el('thead', {}, el('tr', {}, ...['when (UTC)', 'event', 'title', ''].map((h) => el('th', {}, h)))),
        el('tbody', {}, d.history.map((h) => el('tr', { class: 'history-item', 'data-event': h.event_type },
          el('td', { class: 'small' }, when(h.ts)), el('td', {}, h.event_type), el('td', {}, titleLink(h.movie_id, h.title || h.movie_id)), el('td', { class: 'small' }, describeEvent(h)))))));
      if (!d.feed) { feed.replaceChildren(note('feed unavailable: ' + ((d.feed_error && d.feed_error.message) || 'unknown error'), 'error')); return; }
      const f = d.feed;
      const head = el('p', { class: 'summary', id: 'feed-summary' }, 'source ', el('span', { class: 'badge' }, f.source), ' · variant ', el('span', { class: 'badge' }, f.variant), ' · model ', f.model_version || '(none)');
      if (f.items.length === 0) { feed.replaceChildren(head, note('The feed is empty.')); return; }
      feed.replaceChildren(head, el('ol', { class: 'feed' }, f.items.map((it, i) => el('li', { class: 'feed-item', 'data-movie-id': it.movie_id, 'data-reason': it.reason },
        el('span', { class: 'rank' }, i + 1), el('span', {}, titleLink(it.movie_id, it.title || it.movie_id), ' ', el('span', { class: 'small' }, (it.genres || []).join(', '))),
        el('span', { class: 'badge reason reason-' + it.reason }, it.reason.replace(/_/g, ' ')),
        el('span', { class: 'meta' }, 'score ' + fx(it.score, 3) + ' · source ' + f.source + ' · variant ' + f.variant)))));
      document.body.dataset.user = id;
    } catch (e) { hist.replaceChildren(note(e.message, 'error')); }
  }

  async function lookupTitle(id) {
    const head = $('title-head'), sim = $('title-similar'), aud = $('title-audience');
    $('title-id').value = id;
    head.replaceChildren(note('loading…')); sim.replaceChildren(); aud.replaceChildren();
    try {
      const d = await getJson('/api/titles/' + encodeURIComponent(id));
      const t = d.title;
      head.replaceChildren(el('p', { class: 'summary' }, el('strong', {}, t ? t.title : id), t ? ' (' + (t.year || '–') + ') · ' + t.genres.join(', ') + (t.fresh ? ' · fresh title' : '') : ' (not in the serving catalog)'));
      if (d.similar) sim.replaceChildren(d.similar.items.length === 0 ? note('No similar titles.') : el('ol', { class: 'feed' }, d.similar.items.map((it, i) => el('li', { class: 'similar-item', 'data-movie-id': it.movie_id },
        el('span', { class: 'rank' }, i + 1), el('span', {}, titleLink(it.movie_id, it.title || it.movie_id), ' ', el('span', { class: 'small' }, (it.genres || []).join(', '))), el('span', { class: 'small' }, fx(it.score, 3))))));
      else sim.replaceChildren(note('similar titles unavailable: ' + (d.similar_error ? d.similar_error.message : ''), 'error'));
      const a = d.audience;
      if (a.users.length === 0) aud.replaceChildren(note(a.note || 'No user has this title in their published top 20 of ' + (a.version || 'the live version') + '.'));
      else aud.replaceChildren(el('p', { class: 'summary' }, a.size + ' users have it in their top 20 of ' + a.version + (a.size > a.users.length ? ' (best ' + a.users.length + ' shown)' : '')),
        el('table', { class: 'audience' }, el('thead', {}, el('tr', {}, el('th', {}, 'user'), el('th', { class: 'num' }, 'rank'), el('th', { class: 'num' }, 'score'))),
          el('tbody', {}, a.users.map((u) => el('tr', { class: 'audience-item' }, el('td', {}, userLink(u.user_id)), el('td', { class: 'num' }, u.rank), el('td', { class: 'num' }, fx(u.score, 3)))))));
      document.body.dataset.title = id;
    } catch (e) { head.replaceChildren(note(e.message, 'error')); }
  }

  function go(next) {
    const p = new URLSearchParams(location.hash.slice(1));
    for (const [k, v] of Object.entries(next)) p.set(k, v);
    location.hash = p.toString();
  }
  let shown = {};
  function route() {
    const p = new URLSearchParams(location.hash.slice(1));
    const user = p.get('user'), title = p.get('title');
    if (user && user !== shown.user) lookupUser(user);
    if (title && title !== shown.title) lookupTitle(title);
    shown = { user, title };
  }
  $('user-form').addEventListener('submit', (e) => { e.preventDefault(); const v = $('user-id').value.trim(); if (v) { shown.user = null; go({ user: v }); route(); } });
  $('title-form').addEventListener('submit', (e) => { e.preventDefault(); const v = $('title-id').value.trim(); if (v) { shown.title = null; go({ title: v }); route(); } });
  $('upnext-form').addEventListener('submit', (e) => { e.preventDefault(); const sel = $('upnext-title'); if (sel.value && sel.dataset.user) loadUpNext(sel.dataset.user, sel.value); });
  $('upnext-title').addEventListener('change', (e) => { const sel = e.target; if (sel.value && sel.dataset.user) loadUpNext(sel.dataset.user, sel.value); });
  $('refresh').addEventListener('click', () => { loadRuns(); loadVersions(); });
  window.addEventListener('hashchange', route);
  loadRuns(); loadVersions(); route();
  setInterval(() => { if (!document.hidden) { loadRuns(); loadVersions(); } }, 30000);
})();
`;

const BODY = `
<header><h1>movie-recs · dashboard</h1><span class="serving" id="serving">loading…</span><button id="refresh" type="button">Refresh</button></header>
<main>
  <section id="runs-section"><h2>Model runs</h2>
    <div class="charts" id="runs-charts"></div>
    <div id="runs-note"></div>
    <table id="runs-table"></table>
  </section>
  <section id="versions-section"><h2>Versions in Redis</h2><div id="versions"></div></section>
  <section id="user-section"><h2>User lookup</h2>
    <form id="user-form"><input id="user-id" name="user" placeholder="user id, e.g. u42" autocomplete="off"><button type="submit">Look up</button></form>
    <div class="cols"><div><h3>Recent history (published by the warehouse worker)</h3><div id="user-history"><p class="note">Enter a user id.</p></div></div>
    <div><h3>Feed as the API serves it</h3><div id="user-feed"></div></div></div>
    <div class="cols"><div><h3>Home rows as the API serves them</h3><div id="user-rows"></div></div>
    <div><h3>Up next after a chosen title</h3><form id="upnext-form"><select id="upnext-title" aria-label="finished title"></select><button type="submit">Up next</button></form><div id="user-upnext"></div></div></div>
  </section>
  <section id="title-section"><h2>Title lookup</h2>
    <form id="title-form"><input id="title-id" name="title" placeholder="movie id, e.g. m17" autocomplete="off"><button type="submit">Look up</button></form>
    <div id="title-head"></div>
    <div class="cols"><div><h3>Similar titles</h3><div id="title-similar"></div></div>
    <div><h3>Predicted audience (published top 20)</h3><div id="title-audience" class="scroll"></div></div></div>
  </section>
</main>`;

export function dashboardHtml(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>movie-recs dashboard</title><style>${CSS}</style></head>
<body>${BODY}
<script>${SCRIPT}</script>
</body></html>`;
}

/** Only the inline script and style may run; only this origin may be fetched. */
export function dashboardCsp(): string {
  const hash = createHash('sha256').update(SCRIPT).digest('base64');
  return `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

const escapeHtml = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sign-in form shown (status 401) to a browser without the operator token: it posts the token to `action`. */
export function loginHtml(action: string, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>movie-recs dashboard: sign in</title><style>body{font:15px system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.5rem 0}button{font:inherit;padding:.4rem 1rem}.err{color:#b00020}</style></head>
<body><h1>Operators only</h1><p>The dashboard needs the operator token (the API's <code>ADMIN_TOKEN</code>).</p>
${message ? `<p class="err" id="login-error">${escapeHtml(message)}</p>` : ''}
<form id="login" method="post" action="${escapeHtml(action)}"><label>Token <input id="token" name="token" type="password" autocomplete="current-password" required autofocus></label><button type="submit">Sign in</button></form>
</body></html>`;
}

/** The sign-in page runs no script and may post only to this origin. */
export function loginCsp(): string {
  return "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
}
