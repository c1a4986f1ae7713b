// clipdex search page: plain ES module, no build step. State lives in the URL so every search
// can be shared or bookmarked (a dropped photo stays in this tab's sessionStorage instead).
const PHOTO_MAX_SIDE = 640; // the model sees ~224 px; a smaller upload is faster and never hits the limit
const $ = (id) => document.getElementById(id);
const els = {
  form: $('search'),
  q: $('q'),
  file: $('file'),
  status: $('status'),
  grid: $('results'),
  sentinel: $('sentinel'),
  empty: $('empty'),
  drop: $('drop'),
  auto: $('auto'),
  sort: $('sort'),
  mode: $('mode'),
  rerank: $('rerank'),
  takenAfter: $('taken-after'),
  takenBefore: $('taken-before'),
  info: $('info'),
  photoChip: $('photo-chip'),
  photoPreview: $('photo-preview'),
  photoClear: $('photo-clear'),
  likeChip: $('like-chip'),
  likeLabel: $('like-label'),
  likeClear: $('like-clear'),
  tuneChip: $('tune-chip'),
  tuneLabel: $('tune-label'),
  tuneClear: $('tune-clear'),
};
// Refinement weights: "more like this" pulls the query toward an item, "less like this" pushes away.
const MORE = 0.5;
const LESS = -0.5;

const state = {
  q: '',
  target: 'image',
  like: null,
  photo: null,
  auto: false,
  sort: 'score',
  rerank: false,
  more: [],
  less: [],
  takenAfter: '',
  takenBefore: '',
  mode: 'hybrid',
};

const SORTS = ['score', 'date', 'taken'];
const MODES = ['hybrid', 'vector', 'keyword'];
/** A yyyy-mm-dd day from the URL or a date input, or '' when it is not one. */
function day(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text ?? '') && !Number.isNaN(Date.parse(text)) ? text : '';
}

function idList(text) {
  return (text ?? '')
    .split(',')
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0)
    .slice(0, 7);
}
let page = { cursor: null, loading: false, seq: 0, count: 0, top: 0, rerank: null };

// ---------- URL state ----------
function readUrl() {
  const p = new URLSearchParams(location.search);
  state.q = p.get('q') ?? '';
  state.target = p.get('target') === 'text' ? 'text' : 'image';
  const like = Number(p.get('like'));
  state.like = Number.isSafeInteger(like) && like > 0 ? like : null;
  state.auto = p.get('auto') === '1';
  state.sort = SORTS.includes(p.get('sort')) ? p.get('sort') : 'score';
  state.mode = MODES.includes(p.get('mode')) ? p.get('mode') : 'hybrid';
  state.takenAfter = day(p.get('takenAfter'));
  state.takenBefore = day(p.get('takenBefore'));
  state.rerank = p.get('rerank') === '1';
  state.photo = p.get('photo') === '1' ? photoFromSession() : null;
  state.more = idList(p.get('more'));
  state.less = idList(p.get('less'));
}

function writeUrl(push) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  if (state.like) p.set('like', String(state.like));
  if (state.photo) p.set('photo', '1');
  if (state.target !== 'image') p.set('target', state.target);
  if (state.auto) p.set('auto', '1');
  if (state.sort !== 'score') p.set('sort', state.sort);
  if (state.rerank) p.set('rerank', '1');
  if (state.mode !== 'hybrid') p.set('mode', state.mode);
  if (state.takenAfter) p.set('takenAfter', state.takenAfter);
  if (state.takenBefore) p.set('takenBefore', state.takenBefore);
  if (state.more.length) p.set('more', state.more.join(','));
  if (state.less.length) p.set('less', state.less.join(','));
  const url = p.size ? `?${p}` : location.pathname;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

function syncControls() {
  els.q.value = state.q;
  document.querySelector(`input[name=target][value=${state.target}]`).checked = true;
  els.auto.checked = state.auto;
  els.sort.value = state.sort;
  els.rerank.checked = state.rerank;
  els.mode.value = state.mode;
  els.takenAfter.value = state.takenAfter;
  els.takenBefore.value = state.takenBefore;
  // Re-ranking orders by match, so it and date order exclude each other.
  els.sort.disabled = state.rerank;
  els.photoChip.hidden = !state.photo;
  if (state.photo) els.photoPreview.src = state.photo.url;
  els.likeChip.hidden = !state.like;
  if (state.like) els.likeLabel.textContent = `similar to #${state.like}`;
  const tuned = state.more.length + state.less.length > 0;
  els.tuneChip.hidden = !tuned;
  if (tuned) els.tuneLabel.textContent = `+${state.more.length} more like · −${state.less.length} less like`;
  document.title = state.q ? `${state.q} — clipdex` : 'clipdex';
}

// ---------- photos ----------
function photoFromSession() {
  const dataUrl = sessionStorage.getItem('clipdex:photo');
  if (!dataUrl) return null;
  const [head, b64] = dataUrl.split(',');
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const blob = new Blob([bytes], { type: head.slice(5, head.indexOf(';')) });
  return { blob, url: dataUrl };
}

/** Shrinks a photo in the browser (EXIF orientation applied); falls back to the original bytes. */
async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    // Small enough already: send the exact bytes, so a library photo finds itself with score 1.
    if (scale === 1 && file.size < 2 * 1024 * 1024) {
      bitmap.close();
      return file;
    }
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext('2d');
    // JPEG has no alpha: flatten onto white, as the server's decoder does, not onto black.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob((b) => resolve(b ?? file), 'image/jpeg', 0.92));
  } catch {
    return file; // a format this browser can't decode (HEIC…): let the server try
  }
}

async function usePhoto(file) {
  if (!file || !file.type.startsWith('image/')) {
    showError('That is not an image. Drop or paste a photo.');
    return;
  }
  const blob = await shrink(file);
  const url = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
  try {
    sessionStorage.setItem('clipdex:photo', url);
  } catch {
    /* storage full: the search still works, only reload forgets the photo */
  }
  state.photo = { blob, url };
  state.like = null;
  state.q = '';
  go(true);
}

// ---------- searching ----------
function tuneTerms() {
  return [
    ...state.more.map((itemId) => ({ itemId, weight: MORE })),
    ...state.less.map((itemId) => ({ itemId, weight: LESS })),
  ];
}

/** The capture-date filter: "before" a day includes that whole day (UTC, as capture times are stored). */
function takenFilter() {
  const f = {};
  if (state.takenAfter) f.takenAfter = `${state.takenAfter}T00:00:00.000Z`;
  if (state.takenBefore) f.takenBefore = `${state.takenBefore}T23:59:59.999Z`;
  return f;
}

function buildRequest(cursor) {
  const p = new URLSearchParams({ target: state.target }); // k: the server's default page size
  if (cursor) p.set('cursor', cursor);
  if (state.auto) p.set('minScore', 'auto');
  if (state.sort !== 'score' && !state.rerank) p.set('sort', state.sort);
  if (state.rerank) p.set('rerank', 'true');
  if (state.mode !== 'hybrid') p.set('mode', state.mode);
  const filter = takenFilter();
  for (const [k, v] of Object.entries(filter)) p.set(k, v);
  const tune = tuneTerms();
  if (state.photo) {
    const form = new FormData();
    form.set('image', state.photo.blob, 'photo.jpg');
    if (state.q) form.set('q', state.q);
    if (tune.length) form.set('terms', JSON.stringify(tune));
    for (const [k, v] of p) form.set(k, v);
    return ['/api/search', { method: 'POST', body: form }];
  }
  if (tune.length) {
    // A weighted mix goes as JSON terms: the base query plus the refinements.
    const terms = [
      ...(state.q ? [{ text: state.q }] : []),
      ...(state.like ? [{ itemId: state.like }] : []),
      ...tune,
    ];
    const body = { terms, target: state.target, sort: state.rerank ? 'score' : state.sort };
    if (state.rerank) body.rerank = true;
    if (cursor) body.cursor = cursor;
    if (state.auto) body.minScore = 'auto';
    if (Object.keys(filter).length) body.filter = filter;
    if (state.mode !== 'hybrid') body.mode = state.mode;
    return [
      '/api/search',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    ];
  }
  if (state.like) {
    if (state.q) p.set('q', state.q);
    return [`/api/items/${state.like}/similar?${p}`, {}];
  }
  p.set('q', state.q);
  return [`/api/search?${p}`, {}];
}

function hasQuery() {
  return Boolean(state.q.trim() || state.photo || state.like || state.more.length);
}

async function load(reset) {
  if (reset) {
    page = { cursor: null, loading: false, seq: page.seq + 1, count: 0, top: 0, rerank: null };
    els.grid.replaceChildren();
  }
  els.empty.hidden = hasQuery();
  if (!hasQuery()) {
    setStatus('');
    return;
  }
  const seq = page.seq;
  page.loading = true;
  els.grid.setAttribute('aria-busy', 'true');
  if (reset) setStatus('Searching…');
  try {
    const [url, init] = buildRequest(page.cursor);
    const res = await fetch(url, init);
    const body = await res.json().catch(() => null);
    if (seq !== page.seq) return; // a newer search started meanwhile
    if (!res.ok) {
      showError(body?.error?.message ?? `The server answered ${res.status}.`);
      page.cursor = null;
      return;
    }
    if (reset) page.top = Math.max(0, ...body.results.map(cosine));
    if (reset) page.rerank = body.rerank ?? null;
    for (const hit of body.results) els.grid.append(card(hit, page.count++));
    page.cursor = body.nextCursor;
    const what = state.target === 'image' ? 'image' : 'text';
    setStatus(
      page.count === 0
        ? `No ${what}s found${state.auto ? ' above the relevance cut-off' : ''}.`
        : `${page.count}${page.cursor ? '+' : ''} ${what}${page.count === 1 ? '' : 's'} · ${body.tookMs} ms` +
            (page.rerank
              ? ` · top ${page.rerank.reranked} re-ranked by image–text matching (${page.rerank.stage})`
              : ''),
    );
  } catch (error) {
    if (seq === page.seq) showError(`Could not reach the server (${error.message}).`);
  } finally {
    if (seq === page.seq) {
      page.loading = false;
      els.grid.removeAttribute('aria-busy');
      // A tall screen may show the sentinel already: keep filling it.
      if (page.cursor && isVisible(els.sentinel)) void load(false);
    }
  }
}

function go(push) {
  writeUrl(push);
  syncControls();
  void load(true);
}

function setStatus(text) {
  els.status.textContent = text;
  els.status.classList.remove('error');
}

function showError(text) {
  els.status.textContent = text;
  els.status.classList.add('error');
}

function isVisible(el) {
  const r = el.getBoundingClientRect();
  return r.top < innerHeight + 400;
}

// ---------- results ----------
function card(hit, index) {
  const tpl = $(hit.kind === 'text' ? 'card-text' : 'card-image');
  const node = tpl.content.firstElementChild.cloneNode(true);
  node.dataset.id = String(hit.id);
  node.dataset.index = String(index);
  const pick = node.querySelector('.pick');
  const label =
    hit.kind === 'text'
      ? (hit.text ?? hit.uri)
      : hit.kind === 'video'
        ? `${hit.uri} at ${clock(hit.start)}`
        : hit.uri;
  pick.setAttribute('aria-label', `${label}, score ${hit.score.toFixed(3)}. Search for more like this.`);
  pick.title = 'More like this';
  if (hit.kind === 'video') {
    // A video plays from its best shot; + / − still refine, by that shot.
    pick.setAttribute(
      'aria-label',
      `${label}, score ${hit.score.toFixed(3)}. Play from ${clock(hit.start)}.`,
    );
    pick.title = `Play from ${clock(hit.start)}`;
  }
  pick.addEventListener('click', () => {
    if (hit.kind === 'video') return play(hit);
    state.like = hit.id;
    state.q = '';
    state.photo = null;
    state.more = [];
    state.less = [];
    go(true);
    els.grid.focus();
  });
  const tune = (list, other) => {
    const id = hit.shotId ?? hit.id;
    if (!state[list].includes(id)) state[list] = [...state[list], id].slice(-7);
    state[other] = state[other].filter((x) => x !== id);
    go(true);
  };
  node.querySelector('.more').addEventListener('click', () => tune('more', 'less'));
  node.querySelector('.less').addEventListener('click', () => tune('less', 'more'));
  node.querySelector('.more').setAttribute('aria-label', `More like ${label}`);
  const info = node.querySelector('.info');
  if (info) {
    info.setAttribute('aria-label', `Details of ${label}`);
    info.addEventListener('click', () => showInfo(hit, info));
  }
  const how = matchedBy(hit);
  const chip = node.querySelector('.matched');
  if (how) {
    chip.dataset.by = how.by;
    chip.textContent = how.label;
    chip.title = how.title;
  } else chip.remove();
  node.querySelector('.less').setAttribute('aria-label', `Less like ${label}`);
  if (hit.kind !== 'text') {
    const img = node.querySelector('img');
    img.src = `${hit.thumbnailUrl}&size=320`;
    img.alt = hit.uri;
    if (hit.width && hit.height) {
      img.width = hit.width;
      img.height = hit.height;
    }
    const open = node.querySelector('.open');
    open.href = hit.kind === 'video' ? `${hit.fileUrl}#t=${hit.start}` : hit.fileUrl;
    open.setAttribute('aria-label', `Open ${hit.uri}`);
    if (hit.kind === 'video') {
      node.classList.add('video');
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = `▶ ${clock(hit.start)}`;
      badge.title = `best shot ${clock(hit.start)}–${clock(hit.end)}`;
      pick.append(badge);
    }
  } else {
    node.querySelector('blockquote').textContent = hit.text ?? '';
    if (hit.linkedImage) {
      const img = node.querySelector('img.linked');
      img.src = `${hit.linkedImage.thumbnailUrl}&size=96`;
      img.alt = `describes ${hit.linkedImage.uri}`;
      img.title = hit.linkedImage.uri;
      img.hidden = false;
    }
  }
  const itm = hit.scores?.itm;
  node.querySelector('.num').textContent = cosine(hit).toFixed(3);
  node.querySelector('.score').title =
    itm === undefined
      ? `cosine similarity ${cosine(hit).toFixed(4)}`
      : `re-ranked: match ${itm.toFixed(2)} (image–text matching) + dual-encoder ${(hit.score - itm).toFixed(2)}; cosine ${cosine(hit).toFixed(4)}`;
  if (itm !== undefined) node.classList.add('reranked');
  // Cosines of one query cluster within a few tenths: the bar spans the 0.25 below the best hit.
  const rel = Math.max(0.02, Math.min(1, 1 - (page.top - cosine(hit)) / 0.25));
  node.querySelector('.fill').style.width = `${Math.round(rel * 100)}%`;
  node.querySelector('.uri').textContent = hit.uri;
  node.querySelector('.uri').title = hit.uri;
  if (hit.tags?.length) {
    // Stored zero-shot tags (clipdex tag): one small chip each, probability on hover.
    const tags = document.createElement('p');
    tags.className = 'tags';
    for (const t of hit.tags) {
      const chip = document.createElement('span');
      chip.className = 'tag';
      chip.textContent = t.label;
      chip.title = `tag probability ${t.score.toFixed(2)}`;
      tags.append(chip);
    }
    node.append(tags);
  }
  return node;
}

/** Whether a hit came from its picture (vector leg), its words (keyword leg: name, metadata…), or both. */
function matchedBy(hit) {
  const picture = typeof hit.scores?.vector === 'number';
  const words = typeof hit.scores?.keyword === 'number' || (hit.matched?.length ?? 0) > 0;
  if (!picture && !words) return null;
  const fields = hit.matched?.length ? ` (${hit.matched.join(', ')})` : '';
  if (picture && words)
    return { by: 'both', label: 'picture + words', title: `matched by the picture and by words${fields}` };
  if (picture) return { by: 'picture', label: 'picture', title: 'matched by what the picture shows' };
  return { by: 'words', label: 'words', title: `matched by words${fields}` };
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const TAKEN_SOURCE = {
  exif: 'EXIF',
  xmp: 'XMP',
  iptc: 'IPTC',
  video: 'video creation date',
  file: 'file modified time',
};

/** The info panel: capture date and its source, camera, place, keywords, description, file facts. */
function showInfo(hit, opener) {
  const dl = els.info.querySelector('.facts');
  const name = hit.uri.split(/[\\/]/).pop();
  els.info.querySelector('#info-title').textContent = name;
  const rows = [];
  const add = (term, value) => {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length))
      return;
    rows.push([term, value]);
  };
  if (hit.takenAt) {
    const when = new Date(hit.takenAt);
    add(
      'Taken',
      `${when.toISOString().slice(0, 16).replace('T', ' ')} (from ${TAKEN_SOURCE[hit.takenAtSource] ?? hit.takenAtSource})`,
    );
  }
  add('Camera', hit.camera);
  if (hit.gps) add('Place', `${hit.gps.lat.toFixed(5)}, ${hit.gps.lon.toFixed(5)}`);
  add('Keywords', hit.keywords);
  add('Description', hit.description);
  add('File', hit.uri);
  add(
    'Size',
    [
      hit.size != null ? bytes(hit.size) : '',
      hit.width && hit.height ? `${hit.width} × ${hit.height}` : '',
      hit.format ?? '',
    ]
      .filter(Boolean)
      .join(' · '),
  );
  if (hit.modifiedAt) add('Modified', hit.modifiedAt.slice(0, 16).replace('T', ' '));
  const how = matchedBy(hit);
  if (how) add('Matched by', how.title);
  const nodes = [];
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    if (Array.isArray(value)) {
      dd.className = 'keywords';
      for (const v of value) {
        const k = document.createElement('span');
        k.className = 'tag';
        k.textContent = v;
        dd.append(k);
      }
    } else dd.textContent = value;
    dd.dataset.fact = term.toLowerCase();
    nodes.push(dt, dd);
  }
  dl.replaceChildren(...nodes);
  els.info.addEventListener('close', () => opener?.focus(), { once: true });
  els.info.showModal();
  els.info.querySelector('.info-close').focus();
}

/** The first-stage cosine of a hit (re-ranked hits rank by another number, kept in `score`). */
/** 75.5 → "1:15" (h:mm:ss past an hour). */
function clock(seconds) {
  const s = Math.floor(seconds ?? 0);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** Opens the player on a video hit, at the start of its best shot. */
function play(hit) {
  const dialog = $('player');
  const video = dialog.querySelector('video');
  dialog.querySelector('.player-uri').textContent = `${hit.uri} — ${clock(hit.start)}`;
  video.src = `${hit.fileUrl}#t=${hit.start}`;
  video.addEventListener(
    'loadedmetadata',
    () => {
      video.currentTime = hit.start;
      video.play().catch(() => {});
    },
    { once: true },
  );
  dialog.querySelector('.player-close').onclick = () => dialog.close();
  dialog.addEventListener(
    'close',
    () => {
      video.pause();
      video.removeAttribute('src');
      video.load();
    },
    { once: true },
  );
  dialog.showModal();
}

function cosine(hit) {
  return hit.scores?.vector ?? hit.score;
}

/** Arrow keys move between results in reading order, rows included. */
function onGridKey(event) {
  const keys = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: 'up', ArrowDown: 'down', Home: 'home', End: 'end' };
  const step = keys[event.key];
  if (step === undefined) return;
  const picks = [...els.grid.querySelectorAll('.pick')];
  const at = picks.indexOf(document.activeElement);
  if (at < 0) return;
  event.preventDefault();
  let next = at;
  if (typeof step === 'number') next = at + step;
  else if (step === 'home') next = 0;
  else if (step === 'end') next = picks.length - 1;
  else {
    const top0 = picks[0].getBoundingClientRect().top;
    const firstOfRow2 = picks.findIndex((p) => p.getBoundingClientRect().top > top0 + 4);
    const cols = firstOfRow2 > 0 ? firstOfRow2 : picks.length;
    next = at + (step === 'down' ? cols : -cols);
  }
  next = Math.max(0, Math.min(picks.length - 1, next));
  picks[next].focus();
  picks[next].scrollIntoView({ block: 'nearest' });
}

// ---------- wiring ----------
els.form.addEventListener('submit', (event) => {
  event.preventDefault();
  state.q = els.q.value.trim();
  if (state.q) {
    state.like = null;
    state.more = [];
    state.less = [];
  }
  go(true);
});
for (const radio of document.querySelectorAll('input[name=target]')) {
  radio.addEventListener('change', () => {
    state.target = radio.value;
    state.q = els.q.value.trim();
    go(true);
  });
}
els.auto.addEventListener('change', () => {
  state.auto = els.auto.checked;
  go(false);
});
els.rerank.addEventListener('change', () => {
  state.rerank = els.rerank.checked;
  go(true);
});
els.sort.addEventListener('change', () => {
  state.sort = els.sort.value;
  go(false);
});
els.mode.addEventListener('change', () => {
  state.mode = els.mode.value;
  go(false);
});
for (const [input, key] of [
  [els.takenAfter, 'takenAfter'],
  [els.takenBefore, 'takenBefore'],
]) {
  input.addEventListener('change', () => {
    const value = day(input.value);
    if (value === state[key]) return;
    state[key] = value;
    go(false);
  });
}
els.info.querySelector('.info-close').addEventListener('click', () => els.info.close());
els.info.addEventListener('click', (event) => {
  if (event.target === els.info) els.info.close(); // a click on the backdrop
});
els.file.addEventListener('change', () => {
  void usePhoto(els.file.files?.[0]);
  els.file.value = '';
});
els.photoClear.addEventListener('click', () => {
  state.photo = null;
  sessionStorage.removeItem('clipdex:photo');
  go(true);
  els.q.focus();
});
els.tuneClear.addEventListener('click', () => {
  state.more = [];
  state.less = [];
  go(true);
  els.q.focus();
});
els.likeClear.addEventListener('click', () => {
  state.like = null;
  go(true);
  els.q.focus();
});
els.grid.addEventListener('keydown', onGridKey);

document.addEventListener('keydown', (event) => {
  if (event.key === '/' && document.activeElement !== els.q) {
    event.preventDefault();
    els.q.focus();
    els.q.select();
  } else if (event.key === 'Escape' && state.photo) {
    els.photoClear.click();
  }
});
document.addEventListener('paste', (event) => {
  const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
  if (file) {
    event.preventDefault();
    void usePhoto(file);
  }
});

let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
addEventListener('dragenter', (event) => {
  if (!hasFiles(event)) return;
  dragDepth++;
  els.drop.hidden = false;
});
addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) els.drop.hidden = true;
});
addEventListener('dragover', (event) => {
  if (hasFiles(event)) event.preventDefault();
});
addEventListener('drop', (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  els.drop.hidden = true;
  void usePhoto(event.dataTransfer.files[0]);
});

new IntersectionObserver(
  (entries) => {
    if (entries.some((e) => e.isIntersecting) && page.cursor && !page.loading) void load(false);
  },
  { rootMargin: '400px' },
).observe(els.sentinel);

addEventListener('popstate', () => {
  readUrl();
  syncControls();
  void load(true);
});

readUrl();
syncControls();
void load(true);
if (!hasQuery()) els.q.focus();
