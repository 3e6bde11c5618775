// The explorer page: polls /api/state once a second and redraws the tables and the chart.
const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const short = (h) => (h && h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : h ?? '');
const eth = (wei) => (Number(BigInt(wei ?? 0)) / 1e18).toLocaleString('en-US', { maximumFractionDigits: 4 });
const num = (v) => (v === undefined || v === null ? '—' : Number(v).toLocaleString('en-US'));
const addr = (a, names) => `<code title="${esc(a)}">${esc(names[a?.toLowerCase()] ?? short(a))}</code>`;

/** A chain time (unix seconds) in UTC, and how long after the latest block's time it is. */
function when(at, now) {
  const left = Number(at) - Number(now);
  const utc = `${new Date(Number(at) * 1000).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  if (left <= 0) return `at ${utc}`;
  const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60);
  return `at ${utc}, in ${d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : m ? `${m} min` : `${left} s`}`;
}

function rows(tbody, html) {
  $(tbody).innerHTML = html.join('') || '<tr><td colspan="12" style="color: var(--muted)">none yet</td></tr>';
}

function render(s) {
  $('#chain').textContent = `chain ${s.chainId} · block ${s.block} · Coprocessor ${s.addresses.coprocessor}`;
  const names = Object.fromEntries(s.nodes.map((n) => [n.address.toLowerCase(), n.name]));
  rows('#requests tbody', s.requests.map((r) => `<tr data-request="${r.id}">
    <td>${r.id}</td><td>${esc(r.app ?? short(r.requester))}</td><td>${esc(r.model)} <span style="color: var(--muted)">v${r.version}</span></td><td>${r.mode}</td>
    <td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td>
    <td><code title="${esc(r.inputCommitment)}">${short(r.inputCommitment)}</code> <span style="color: var(--muted)">(${r.inputBytes} B)</span></td>
    <td class="answer"${r.outputs ? ` title="outputs ${esc(r.outputs)}"` : ''}>${esc(r.answer ?? '')}</td>
    <td>${r.proof ? `<details><summary>Groth16</summary><code>${r.proof.map(esc).join('<br>')}</code></details>${r.batchSize ? ` <small title="fulfilled with ${r.batchSize - 1} other requests in one fulfillBatch; the gas shown is this answer's share">batch of ${r.batchSize}</small>` : ''}` : r.mode === 'agreed' && r.rounds.length ? `${r.rounds.length} round${r.rounds.length > 1 ? 's' : ''} of votes` : ''}</td>
    <td>${r.node ? addr(r.node, names) : r.primary ? `${addr(r.primary, names)} <span style="color: var(--muted)">(assigned)</span>` : ''}</td>
    <td class="num"${r.transactions > 1 ? ` title="${r.transactions} transactions"` : ''}>${num(r.gas)}</td><td class="num">${num(r.verifyGas)}</td>
    <td class="num">${r.latencyS === undefined ? '' : `${r.latencyS} s`}</td></tr>`));
  const modelNames = Object.fromEntries(s.models.map((m) => [m.id, m.name]));
  rows('#models tbody', s.models.map((m) => `<tr data-model="${esc(m.name)}">
    <td>${esc(m.name)}</td><td>${m.mode}</td>
    <td>v${m.version}${m.pending ? ` <span class="pending" data-pending="${m.pending.version}">(v${m.pending.version} takes effect ${when(m.pending.activeFrom, s.time)})</span>` : ''}</td>
    <td>${m.mode === 'proved' ? esc(m.pinning) : '—'}</td>
    <td>${m.mode !== 'proved' ? '—' : m.setup === 'dev' ? '<span class="badge insecure" title="a single party made the proving key and could forge proofs">dev setup: insecure</span>' : '<span class="badge">ceremony</span>'}</td>
    <td><code title="${esc(m.commitment)}">${short(m.commitment)}</code></td>
    <td class="num">${num(m.constraints)}</td><td>${esc(m.accuracy ?? '')}</td><td class="num">${eth(m.fee)}</td>
    <td>${addr(m.owner, names)}</td><td class="num">${m.requests}</td></tr>`));
  rows('#nodes tbody', s.nodes.map((n) => `<tr data-node="${esc(n.name)}">
    <td><code>${short(n.address)}</code></td><td>${esc(n.name)}</td><td class="num">${eth(n.stake)}</td>
    <td class="num">${n.served}</td><td class="num">${n.missed}</td><td class="num">${eth(n.slashed)}</td><td>${n.active ? 'yes' : 'no'}</td>
    <td class="answer">${n.models.map((id) => esc(modelNames[id] ?? short(id))).join(', ') || '<span style="color: var(--muted)">nothing yet</span>'}</td></tr>`));
  rows('#votes tbody', s.requests.filter((r) => r.rounds.length).flatMap((r) => r.rounds.map((round) => `<tr data-votes="${r.id}">
    <td>#${r.id} ${esc(r.app ?? '')}</td><td>${round.round}${round.appeal ? ' (appeal)' : ''}</td><td>${esc(round.proposal ?? '—')}</td>
    <td>${round.members.map((m) => {
      // The leader's proposal is its vote: it agrees with itself and neither commits nor reveals.
      const v = round.votes[m] ?? (m === round.leader ? 'agree' : round.committed.includes(m) ? 'committed' : 'none');
      return `${addr(m, names)}${m === round.leader ? ' (leader, proposed)' : ''}: <span class="vote-${v === 'agree' || v === 'disagree' ? v : 'none'}">${v}</span>`;
    }).join('<br>')}</td>
    <td>${round.outcome ? `${esc(round.outcome)} ${round.agrees}:${round.disagrees}` : 'open'}</td></tr>`)));
  chart(s.requests.filter((r) => r.gas !== undefined).sort((a, b) => Number(a.id) - Number(b.id)));
}

/** Bars: gas per request (proved: the fulfilment; agreed: every transaction of the request); line: latency in seconds; x: request order. */
function chart(done) {
  const svg = $('#chart');
  const W = 900, H = 220, L = 60, R = 50, T = 26, B = 28;
  if (!done.length) { svg.innerHTML = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no answered requests yet</text>`; return; }
  const maxGas = Math.max(...done.map((r) => Number(r.gas)));
  const maxLat = Math.max(1, ...done.map((r) => r.latencyS ?? 0));
  const step = (W - L - R) / done.length;
  const y = (v, max) => H - B - ((H - B - T) * v) / max;
  const bars = done.map((r, i) => `<rect x="${L + i * step + step * 0.15}" y="${y(Number(r.gas), maxGas)}" width="${step * 0.7}" height="${H - B - y(Number(r.gas), maxGas)}" fill="${r.mode === 'agreed' ? '#a5b4fc' : '#3b5bdb'}"><title>#${r.id} ${r.model}: ${num(r.gas)} gas</title></rect>
    <text x="${L + (i + 0.5) * step}" y="${H - 10}" text-anchor="middle">#${r.id}</text>`).join('');
  const points = done.map((r, i) => `${L + (i + 0.5) * step},${y(r.latencyS ?? 0, maxLat)}`).join(' ');
  svg.innerHTML = `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#e4e7ec"/>
    <text x="${L - 6}" y="${T + 8}" text-anchor="end">${num(maxGas)}</text><text x="${L - 6}" y="${H - B}" text-anchor="end">0 gas</text>
    <text x="${W - R + 6}" y="${T + 8}">${maxLat} s</text><text x="${W - R + 6}" y="${H - B}">0 s</text>
    ${bars}<polyline points="${points}" fill="none" stroke="#c2410c" stroke-width="2"/>
    ${done.map((r, i) => `<circle cx="${L + (i + 0.5) * step}" cy="${y(r.latencyS ?? 0, maxLat)}" r="3" fill="#c2410c"><title>#${r.id}: ${r.latencyS} s</title></circle>`).join('')}
    <text x="${L}" y="12">bars: gas (dark proved: the fulfilment; light agreed: all its transactions) · line: latency, request to answer (block time)</text>`;
}

async function poll() {
  try {
    const res = await fetch('/api/state', { cache: 'no-store' });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? res.statusText);
    $('#error').textContent = '';
    render(body);
    document.body.dataset.loaded = 'true';
  } catch (e) {
    $('#error').textContent = String(e.message ?? e);
  }
  setTimeout(poll, 1000);
}
poll();
