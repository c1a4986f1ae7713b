// The duplicates page: GET /api/duplicates, groups side by side, the suggested keep outlined.
const tier = new URLSearchParams(location.search).get('tier') || 'exact';
const groupsEl = document.getElementById('groups');
const statusEl = document.getElementById('status');
const moreBtn = document.getElementById('more');
for (const a of document.querySelectorAll('[data-tier]'))
  if (a.dataset.tier === tier) a.setAttribute('aria-current', 'page');

const DISTANCE = {
  exact: () => 'identical bytes',
  near: (d) => `${d} of 64 hash bits differ`,
  similar: (d) => `cosine ${(1 - d).toFixed(3)}`,
};
let cursor = null;

function figure(item, keep) {
  const fig = document.createElement('figure');
  if (keep) fig.className = 'keep';
  const img = document.createElement('img');
  img.loading = 'lazy';
  img.alt = item.uri;
  if (item.thumbnailUrl) img.src = `${item.thumbnailUrl}&size=320`;
  const cap = document.createElement('figcaption');
  const dims = item.width && item.height ? `${item.width}×${item.height}` : '';
  const size = item.size ? `${Math.round(item.size / 1024)} KiB` : '';
  cap.textContent = `${keep ? 'keep · ' : ''}${item.uri} · ${[dims, size].filter(Boolean).join(', ')}${keep ? '' : ` · ${DISTANCE[tier](item.distance)}`}`;
  const link = document.createElement('a');
  link.href = `/api/items/${item.id}/file`;
  link.target = '_blank';
  link.rel = 'noopener';
  link.append(img);
  fig.append(link, cap);
  return fig;
}

async function load() {
  const p = new URLSearchParams({ tier, k: '30' });
  if (cursor) p.set('cursor', cursor);
  statusEl.textContent = 'Looking for duplicates…';
  const res = await fetch(`/api/duplicates?${p}`);
  const body = await res.json();
  if (!res.ok) {
    statusEl.textContent = body.error?.message ?? 'failed';
    return;
  }
  for (const g of body.groups) {
    const section = document.createElement('article');
    section.className = 'dup-group';
    const h = document.createElement('h2');
    h.textContent = `${g.items.length} ${tier === 'similar' ? 'similar shots' : 'copies'} `;
    const why = document.createElement('span');
    why.className = 'why';
    why.textContent = `— keep suggested: ${g.reason}`;
    h.append(why);
    const row = document.createElement('div');
    row.className = 'dup-row';
    g.items.forEach((item, i) => row.append(figure(item, i === 0)));
    section.append(h, row);
    groupsEl.append(section);
  }
  statusEl.textContent = `${body.total} group${body.total === 1 ? '' : 's'} among ${body.images} images${body.withoutHash ? ` (${body.withoutHash} without a perceptual hash)` : ''}`;
  cursor = body.nextCursor;
  moreBtn.hidden = !cursor;
}

moreBtn.addEventListener('click', () => void load());
void load();
