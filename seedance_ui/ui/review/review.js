/* The reviewer's page of a shared storyboard (seedance_ui/ui/review).
 *
 * The link is /review/#<token>: the token never leaves this page except in the X-Review-Token header of
 * one POST /review/api/open; later calls carry the link's ticket in X-Review-Ticket. Every text anyone
 * wrote is put in the page with textContent (never innerHTML), so HTML in a note stays text. The page
 * polls every data-poll-ms: a revoked or expired link empties the page at the next poll.
 */
(() => {
  'use strict';

  const body = document.body;
  const CFG = {
    poll: Number(body.dataset.pollMs) || 2000,
    maxNote: Number(body.dataset.maxNote) || 2000,
    maxName: Number(body.dataset.maxName) || 60,
    cookie: body.dataset.nameCookie || 'sd_review_name',
  };
  const main = document.getElementById('rv-main');
  const state = {
    token: '', ticket: '', version: '', view: null, name: '', closed: false,
    cards: new Map(), seq: 0, applied: 0, timer: 0, hero: null, theatre: null,
  };

  // -- small helpers ------------------------------------------------------------------------------
  /** An element with attributes (`text` sets textContent, `on*` adds listeners) and children. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const icon = (name) => el('span', {class: `rv-icon rv-icon-${name}`, 'aria-hidden': 'true'});
  const pad = (n) => String(n).padStart(2, '0');

  /** m:ss, whole seconds rounded down (as the studio prints note times: 0:02). */
  function timecode(seconds) {
    const whole = Math.max(0, Math.floor(Number(seconds) || 0));
    return `${Math.floor(whole / 60)}:${pad(whole % 60)}`;
  }

  function toast(message) {
    const box = document.getElementById('rv-toast');
    box.textContent = message;
    box.classList.add('is-on');
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => box.classList.remove('is-on'), 3500);
  }

  // -- the reviewer's name (a plain cookie: a display name, nothing secret) ------------------------
  function cookieName() {
    for (const part of document.cookie.split(';')) {
      const [key, ...rest] = part.trim().split('=');
      if (key === CFG.cookie) {
        try { return decodeURIComponent(rest.join('=')).slice(0, CFG.maxName); } catch (e) { return ''; }
      }
    }
    return '';
  }

  function keepName(name) {
    state.name = name;
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `${CFG.cookie}=${encodeURIComponent(name)}; Path=/review/; Max-Age=31536000; SameSite=Lax${secure}`;
    drawMe();
  }

  function drawMe() {
    const me = document.getElementById('rv-me');
    me.replaceChildren();
    if (!state.name || state.closed) return;
    me.append(el('span', {class: 'rv-me-label'}, el('span', {class: 'rv-me-as', text: 'Reviewing as '}),
      el('strong', {text: state.name})),
    el('button', {type: 'button', class: 'rv-link-btn', onclick: () => askName(true)}, 'Change name'));
  }

  let nameWaiters = [];
  /** Resolves with the reviewer's name, asking for it (once) when there is none yet. */
  function needName() {
    if (state.name) return Promise.resolve(state.name);
    return new Promise((resolve) => { nameWaiters.push(resolve); askName(false); });
  }

  function askName(changing) {
    let dialog = document.getElementById('rv-name-dialog');
    if (!dialog) {
      const input = el('input', {id: 'rv-name', type: 'text', maxlength: CFG.maxName, autocomplete: 'name',
        required: true, placeholder: 'e.g. Mara (Director)'});
      const msg = el('p', {class: 'rv-form-msg', role: 'alert'});
      const form = el('form', {class: 'rv-name-form', novalidate: true},
        el('h2', {id: 'rv-name-title', text: 'Who is reviewing?'}),
        el('p', {class: 'rv-sub', text: 'Your name appears next to your notes and approvals. It is kept in this browser only.'}),
        el('label', {for: 'rv-name', text: 'Your name'}), input, msg,
        el('div', {class: 'rv-dialog-actions'},
          el('button', {type: 'button', class: 'rv-btn', value: 'cancel', onclick: () => dialog.close()}, 'Not now'),
          el('button', {type: 'submit', class: 'rv-btn rv-btn-primary'}, 'Continue')));
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const name = input.value.replace(/\s+/g, ' ').trim();
        if (!name) { msg.textContent = 'Your name: give a name, so others know who wrote it.'; return; }
        if (name.length > CFG.maxName) { msg.textContent = `Your name: at most ${CFG.maxName} characters.`; return; }
        msg.textContent = '';
        keepName(name);
        dialog.close();
        const waiting = nameWaiters;
        nameWaiters = [];
        waiting.forEach((resolve) => resolve(name));
      });
      dialog = el('dialog', {id: 'rv-name-dialog', class: 'rv-dialog', 'aria-labelledby': 'rv-name-title'}, form);
      document.body.append(dialog);
    }
    if (dialog.open) return;
    dialog.querySelector('input').value = changing ? state.name : '';
    dialog.showModal();
  }

  // -- the API --------------------------------------------------------------------------------------
  async function api(method, path, payload, headers) {
    const init = {method, cache: 'no-store', credentials: 'same-origin',
      headers: {Accept: 'application/json', ...(headers || {})}};
    if (payload !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      return {ok: false, status: 0, data: {error: 'The studio cannot be reached right now; trying again.', kind: 'network'}};
    }
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 413) {
      data = {error: `Too long: a note holds at most ${CFG.maxNote.toLocaleString('en')} characters.`, kind: 'too_large'};
    }
    return {ok: response.ok, status: response.status, data};
  }

  const ticketHeader = () => ({'X-Review-Ticket': state.ticket});

  /** Send a write; apply the board it answers with; return the error message, if any. */
  async function write(path, payload) {
    const seq = ++state.seq;
    const answer = await api('POST', `/review/api/${path}`, payload, ticketHeader());
    if (answer.ok) { accept(answer.data, seq); return ''; }
    if (answer.data.kind === 'closed') { closeDown(answer.data.error); return answer.data.error; }
    return answer.data.error || 'That did not work; try again.';
  }

  function accept(data, seq) {
    if (seq < state.applied || state.closed) return;  // an older answer than one already shown
    state.applied = seq;
    state.version = data.version || state.version;
    if (data.view) render(data.view);
  }

  async function openLink(passphrase) {
    state.token = location.hash.replace(/^#/, '');
    const seq = ++state.seq;
    const answer = await api('POST', '/review/api/open', passphrase ? {passphrase} : {},
      {'X-Review-Token': state.token});
    if (answer.ok) {
      state.ticket = answer.data.ticket;
      if (!state.name && answer.data.signed_in_name) keepName(answer.data.signed_in_name);
      accept(answer.data, seq);
      schedulePoll();
      if (!state.name) needName();
      return;
    }
    if (answer.data.kind === 'passphrase') { drawPassphrase(answer.data.error, Boolean(passphrase)); return; }
    if (answer.status === 0) { drawProblem(answer.data.error, () => openLink(passphrase)); return; }
    closeDown(answer.data.error || 'This review link does not open anything.');
  }

  function schedulePoll() {
    clearTimeout(state.timer);
    if (!state.closed) state.timer = setTimeout(poll, CFG.poll);
  }

  async function poll() {
    const seq = ++state.seq;
    const since = encodeURIComponent(state.version || '');
    const answer = await api('GET', `/review/api/poll?since=${since}`, undefined, ticketHeader());
    if (answer.ok) accept(answer.data, seq);
    else if (answer.data.kind === 'closed') { closeDown(answer.data.error); return; }
    body.classList.toggle('is-offline', answer.status === 0);
    schedulePoll();
  }

  // -- whole-page states ------------------------------------------------------------------------------
  function stopVideos(root) {
    root.querySelectorAll('video').forEach((video) => {
      video.pause();
      video.removeAttribute('src');
      video.removeAttribute('poster');
      video.load();
    });
  }

  function panel(kind, title, message, ...extra) {
    return el('section', {class: `rv-panel rv-state-panel is-${kind}`, 'aria-labelledby': 'rv-panel-title'},
      el('div', {class: 'rv-panel-icon', 'aria-hidden': 'true'}),
      el('h1', {id: 'rv-panel-title', text: title}),
      el('p', {class: 'rv-closed-msg', text: message}), ...extra);
  }

  /** The link no longer opens (wrong, revoked, expired): drop every video and say so. */
  function closeDown(message) {
    state.closed = true;
    clearTimeout(state.timer);
    stopVideos(document);
    state.cards.clear();
    state.view = null;
    main.replaceChildren(panel('closed', 'This review is not available', message,
      el('p', {class: 'rv-sub', text: 'Ask the person who shared the board for a new link.'})));
    body.dataset.review = 'closed';
    drawMe();
  }

  function drawPassphrase(message, retried) {
    const input = el('input', {id: 'rv-pass', type: 'password', autocomplete: 'off', maxlength: 200});
    const msg = el('p', {class: 'rv-form-msg', role: 'alert', text: retried ? message : ''});
    const form = el('form', {class: 'rv-pass-form', novalidate: true},
      el('label', {for: 'rv-pass', text: 'Passphrase'}), input, msg,
      el('button', {type: 'submit', class: 'rv-btn rv-btn-primary'}, 'Open the board'));
    form.addEventListener('submit', (event) => { event.preventDefault(); openLink(input.value); });
    main.replaceChildren(panel('locked', 'This board is protected', 'Enter the passphrase the owner gave you with the link.', form));
    body.dataset.review = 'passphrase';
    input.focus();
  }

  function drawProblem(message, retry) {
    main.replaceChildren(panel('problem', 'Cannot reach the studio', message,
      el('button', {type: 'button', class: 'rv-btn rv-btn-primary', onclick: retry}, 'Try again')));
  }

  // -- the board ------------------------------------------------------------------------------------
  function render(view) {
    const first = !state.view;
    state.view = view;
    if (first) {
      main.replaceChildren();
      state.hero = buildHero();
      state.theatre = buildTheatre();
      state.list = el('ol', {class: 'rv-shots', 'aria-label': 'Shots'});
      main.append(state.hero.node, state.theatre.node, state.list);
      body.dataset.review = 'open';
    }
    updateHero(view);
    const seen = new Set();
    view.shots.forEach((shot, index) => {
      let card = state.cards.get(shot.id);
      if (!card) { card = buildCard(shot); state.cards.set(shot.id, card); }
      seen.add(shot.id);
      if (state.list.children[index] !== card.node) state.list.insertBefore(card.node, state.list.children[index] || null);
      updateCard(card, shot);
    });
    for (const [id, card] of state.cards) {
      if (!seen.has(id)) { stopVideos(card.node); card.node.remove(); state.cards.delete(id); }
    }
    state.theatre.refresh();
  }

  function buildHero() {
    const title = el('h1', {class: 'rv-title'});
    const style = el('p', {class: 'rv-style'});
    const summary = el('p', {class: 'rv-summary-text', role: 'status'});
    const bar = el('span', {class: 'rv-bar-fill'});
    const meta = el('p', {class: 'rv-meta'});
    const play = el('button', {type: 'button', class: 'rv-btn rv-btn-primary rv-play-all',
      onclick: () => state.theatre.start(0)}, icon('play'), 'Play all');
    const node = el('section', {class: 'rv-hero', 'aria-label': 'Board'},
      el('div', {class: 'rv-hero-text'}, el('p', {class: 'rv-kicker', text: 'Shared storyboard'}), title, style),
      el('div', {class: 'rv-hero-side'},
        el('div', {class: 'rv-summary'}, summary, el('span', {class: 'rv-bar', 'aria-hidden': 'true'}, bar), meta),
        play));
    return {node, title, style, summary, bar, meta, play};
  }

  function updateHero(view) {
    const hero = state.hero;
    hero.title.textContent = view.title || 'Untitled board';
    hero.style.replaceChildren();
    if (view.style) hero.style.append(el('span', {class: 'rv-style-label', text: 'Style'}), view.style);
    hero.summary.textContent = view.summary;
    const total = view.shots.length || 1;
    hero.bar.style.width = `${(100 * view.approved) / total}%`;
    const seconds = view.shots.reduce((sum, s) => sum + (s.video ? s.duration : 0), 0);
    const playable = view.shots.filter((s) => s.video).length;
    hero.meta.textContent = `${view.shots.length} shot${view.shots.length === 1 ? '' : 's'} · ${timecode(seconds)} running time`
      + (playable < view.shots.length ? ` · ${view.shots.length - playable} without video` : '');
    hero.play.disabled = playable === 0;
    document.title = `${view.title || 'Board'} · Storyboard review`;
  }

  // -- Play all: the whole board in order in one player ---------------------------------------------
  function buildTheatre() {
    const video = el('video', {class: 'rv-theatre-video', controls: true, playsinline: true, preload: 'auto',
      'aria-label': 'Play all: the board in order'});
    const now = el('p', {class: 'rv-now', 'aria-live': 'polite'});
    const reel = el('ol', {class: 'rv-reel', 'aria-label': 'Shots in order'});
    const node = el('section', {class: 'rv-theatre rv-panel', 'aria-label': 'Play all', hidden: true},
      el('div', {class: 'rv-theatre-head'}, now,
        el('button', {type: 'button', class: 'rv-btn rv-btn-quiet', onclick: () => stop()}, 'Close player')),
      el('div', {class: 'rv-theatre-frame'}, video), reel);
    let order = [];
    let index = -1;

    function playable() { return (state.view ? state.view.shots : []).filter((s) => s.video); }

    function show(i) {
      index = i;
      const shot = order[i];
      if (!shot) {
        now.textContent = 'End of the board.';
        return;
      }
      now.replaceChildren(el('span', {class: 'rv-now-label', text: 'Now playing'}),
        `Shot ${shot.number} · ${shot.title || 'Untitled'}`);
      video.poster = shot.poster || '';
      video.src = shot.video;
      video.dataset.shotId = shot.id;
      reel.querySelectorAll('button').forEach((b) => b.setAttribute('aria-current', String(b.dataset.shotId === shot.id)));
      video.play().catch(() => {});
    }

    function start(i) {
      order = playable();
      if (!order.length) return;
      document.querySelectorAll('video').forEach((v) => { if (v !== video) v.pause(); });
      node.hidden = false;
      video.dataset.askedAt = String(performance.now());  // data-start-ms: click to first frame playing
      refresh();
      show(i);
      node.scrollIntoView({behavior: 'smooth', block: 'start'});
    }

    function stop() {
      video.pause();
      node.hidden = true;
      state.hero.play.focus();
    }

    function refresh() {
      const shots = playable();
      reel.replaceChildren(...shots.map((shot, i) => el('li', {},
        el('button', {type: 'button', class: 'rv-reel-btn', 'data-shot-id': shot.id,
          'aria-current': String(video.dataset.shotId === shot.id),
          'aria-label': `Play from shot ${shot.number}`,
          onclick: () => { order = playable(); show(i); }}, pad(shot.number)))));
      if (!node.hidden && video.dataset.shotId && !shots.some((s) => s.id === video.dataset.shotId)) {
        order = shots;
        show(0);
      }
    }

    video.addEventListener('ended', () => {
      order = order.length ? order : playable();
      if (index + 1 < order.length) show(index + 1);
      else now.textContent = 'End of the board.';
    });
    video.addEventListener('play', () => pauseOthers(video));
    video.addEventListener('playing', () => {
      if (!video.dataset.askedAt) return;
      video.dataset.startMs = String(Math.round(performance.now() - Number(video.dataset.askedAt)));
      delete video.dataset.askedAt;
    });
    return {node, video, start, refresh};
  }

  function pauseOthers(playing) {
    document.querySelectorAll('video').forEach((v) => { if (v !== playing && !v.paused) v.pause(); });
  }

  // -- one shot --------------------------------------------------------------------------------------
  function buildCard(shot) {
    const card = {id: shot.id, viewing: null, compare: false, shot, notesKey: '', mediaKey: ''};
    card.number = el('span', {class: 'rv-num', 'aria-hidden': 'true'});
    card.title = el('h2', {class: 'rv-card-title', id: `rv-shot-${shot.id}`});
    card.stateLabel = el('span', {class: 'rv-state'});
    card.verdict = el('span', {class: 'rv-pill'});
    card.stage = el('div', {class: 'rv-stage'});
    card.video = el('video', {class: 'rv-video', controls: true, playsinline: true, preload: 'none'});
    card.video.addEventListener('play', () => pauseOthers(card.video));
    card.empty = el('div', {class: 'rv-novideo'});
    card.compareBox = el('div', {class: 'rv-compare'});
    card.stage.append(card.video, card.empty, card.compareBox);
    card.played = el('span', {class: 'rv-played'});
    card.markers = el('div', {class: 'rv-markers'});
    card.track = el('div', {class: 'rv-track', title: 'Click to jump there'}, card.played, card.markers);
    card.track.addEventListener('click', (event) => {
      if (event.target.closest('.rv-marker')) return;
      const box = card.track.getBoundingClientRect();
      seek(card, ((event.clientX - box.left) / box.width) * noteTarget(card).version.duration);
    });
    card.timeline = el('div', {class: 'rv-timeline'}, card.track,
      el('div', {class: 'rv-ticks', 'aria-hidden': 'true'}, el('span', {text: '0:00'}), card.end = el('span')));
    card.versions = el('div', {class: 'rv-versions', role: 'group', 'aria-label': `Versions of shot ${shot.number}`});
    card.prompt = el('p', {class: 'rv-prompt'});
    card.statuses = el('ul', {class: 'rv-chips', 'aria-label': 'Reviewers'});
    card.approve = el('button', {type: 'button', class: 'rv-btn rv-approve',
      onclick: () => setStatus(card, 'approved')}, icon('check'), 'Approve');
    card.changes = el('button', {type: 'button', class: 'rv-btn rv-changes',
      onclick: () => setStatus(card, 'changes_requested')}, icon('undo'), 'Request changes');
    card.statusHint = el('p', {class: 'rv-hint'});
    card.statusMsg = el('p', {class: 'rv-form-msg', role: 'alert'});
    const noteId = `rv-note-${shot.id}`;
    card.noteLabel = el('label', {class: 'rv-sr', for: noteId});
    card.noteBox = el('textarea', {id: noteId, class: 'rv-note-input', rows: 2, placeholder: 'Add a note at 0:00…'});
    card.noteMsg = el('p', {class: 'rv-form-msg', role: 'alert'});
    card.noteForm = el('form', {class: 'rv-note-form', novalidate: true}, card.noteLabel,
      el('div', {class: 'rv-note-row'}, card.noteBox,
        el('button', {type: 'submit', class: 'rv-btn rv-btn-soft rv-note-send'}, 'Add note')), card.noteMsg);
    card.noteForm.addEventListener('submit', (event) => { event.preventDefault(); addNote(card); });
    card.noteBox.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) { event.preventDefault(); addNote(card); }
    });
    card.notesTitle = el('h3', {class: 'rv-notes-title'});
    card.notes = el('ol', {class: 'rv-notes'});
    card.node = el('li', {class: 'rv-card', 'data-shot-id': shot.id},
      el('article', {'aria-labelledby': `rv-shot-${shot.id}`},
        el('header', {class: 'rv-card-head'}, card.number,
          el('div', {class: 'rv-card-heading'}, card.title, card.stateLabel), card.verdict),
        card.stage, card.timeline, card.versions, card.prompt,
        el('div', {class: 'rv-review'}, card.statuses,
          el('div', {class: 'rv-actions'}, card.approve, card.changes), card.statusHint, card.statusMsg),
        card.noteForm,
        el('section', {class: 'rv-notes-box', 'aria-label': `Notes on shot ${shot.number}`}, card.notesTitle, card.notes)));
    for (const name of ['timeupdate', 'seeked', 'pause', 'loadedmetadata']) {
      card.video.addEventListener(name, () => followTime(card, card.video));
    }
    return card;
  }

  /** The version the card shows (null viewing: the current one; else the one picked by take). */
  function viewedVersion(card) {
    const versions = card.shot.versions;
    return versions.find((v) => v.take_job_id === card.viewing) || versions.find((v) => v.current)
      || versions[versions.length - 1] || {notes: [], statuses: [], duration: card.shot.duration, label: ''};
  }

  function currentVersion(card) { return card.shot.versions.find((v) => v.current) || null; }

  /** The player a new note is pinned to: the shown video (in a comparison, the newer one on the right). */
  function noteTarget(card) {
    const right = card.compare && card.compareVideos ? card.compareVideos[1] : null;
    return right ? {video: right.video, version: right.version} : {video: card.video, version: viewedVersion(card)};
  }

  function seek(card, seconds) {
    const target = noteTarget(card);
    const video = target.video;
    const at = Math.max(0, Math.min(Number(seconds) || 0, target.version.duration || seconds));
    if (!video.getAttribute('src')) return;
    video.currentTime = at;
    video.focus({preventScroll: true});
  }

  function followTime(card, video) {
    const version = noteTarget(card).version;
    const t = video.currentTime || 0;
    card.noteBox.placeholder = `Add a note at ${timecode(t)}…`;
    card.noteLabel.textContent = `Note on shot ${card.shot.number}, ${version.label || ''} at ${timecode(t)}`;
    const duration = video.duration && isFinite(video.duration) ? video.duration : version.duration;
    card.played.style.width = `${Math.min(100, (100 * t) / (duration || 1))}%`;
  }

  function updateCard(card, shot) {
    const wasCurrent = card.shot && currentVersion(card);
    card.shot = shot;
    const current = currentVersion(card);
    if (card.viewing && (!shot.versions.some((v) => v.take_job_id === card.viewing)
        || (wasCurrent && card.viewing === wasCurrent.take_job_id && current && current.take_job_id !== card.viewing))) {
      card.viewing = null;  // a new version on top: show it
    }
    // A comparison is reviewed on its right side, the current version (statuses, notes, timeline).
    const version = card.compare && current ? current : viewedVersion(card);
    card.node.dataset.state = shot.state;
    card.node.dataset.verdict = shot.verdict.value;
    card.number.textContent = pad(shot.number);
    card.title.replaceChildren(el('span', {class: 'rv-sr', text: `Shot ${shot.number}: `}), shot.title || 'Untitled shot');
    card.stateLabel.textContent = shot.state === 'done' ? '' : shot.state_label;
    card.stateLabel.hidden = shot.state === 'done';
    card.stateLabel.className = `rv-state is-${shot.state}`;
    card.verdict.textContent = shot.verdict.label;
    card.verdict.className = `rv-pill is-${shot.verdict.value}`;
    drawMedia(card, shot, version);
    drawVersions(card, shot, version);
    const prompt = version.prompt !== undefined ? version.prompt : shot.prompt;
    card.prompt.hidden = prompt === undefined || prompt === null;
    card.prompt.replaceChildren();
    if (!card.prompt.hidden) card.prompt.append(el('span', {class: 'rv-prompt-label', text: 'Prompt'}), prompt);
    drawStatuses(card, version, current);
    drawNotes(card, version);
  }

  function drawMedia(card, shot, version) {
    const video = version.video || null;
    const key = card.compare ? `compare:${compareKey(card)}` : `one:${video}|${version.poster}`;
    card.end.textContent = timecode(version.duration);
    card.timeline.hidden = !video;
    card.empty.hidden = Boolean(video) || card.compare;
    if (!video) {
      card.empty.replaceChildren(el('span', {class: 'rv-novideo-icon', 'aria-hidden': 'true'}),
        el('span', {text: shot.state === 'done' ? 'This version is no longer on the board' : 'No video to review yet'}));
    }
    if (key === card.mediaKey) return;
    card.mediaKey = key;
    card.video.hidden = !video || card.compare;
    card.compareBox.hidden = !card.compare;
    if (card.compare) { drawCompare(card); return; }
    stopVideos(card.compareBox);
    card.compareBox.replaceChildren();
    card.compareVideos = null;
    if (!video) { stopVideos(card.stage); return; }
    card.video.setAttribute('aria-label', `Shot ${shot.number}, ${version.label}`);
    card.video.poster = version.poster || '';
    card.video.src = video;
    card.noteBox.placeholder = 'Add a note at 0:00…';
    card.played.style.width = '0%';
  }

  /** The pair a comparison shows: the viewed older version (or the one before the current) | the current. */
  function comparePair(card) {
    const versions = card.shot.versions.filter((v) => v.video);
    const current = versions.find((v) => v.current) || versions[versions.length - 1];
    const older = versions.find((v) => v.take_job_id === card.viewing && !v.current)
      || versions.filter((v) => v !== current).pop();
    return older && current ? [older, current] : null;
  }

  const compareKey = (card) => (comparePair(card) || []).map((v) => v.take_job_id + v.video).join('|');

  function drawCompare(card) {
    const pair = comparePair(card);
    stopVideos(card.stage);
    card.compareVideos = (pair || []).map((version) => {
      const video = el('video', {class: 'rv-video', controls: true, playsinline: true, preload: 'metadata',
        poster: version.poster || null, src: version.video, 'aria-label': `Shot ${card.shot.number}, ${version.label}`});
      if (version.current) {
        for (const name of ['timeupdate', 'seeked', 'pause']) video.addEventListener(name, () => followTime(card, video));
      }
      return {video, version, figure: el('figure', {}, video,
        el('figcaption', {}, el('strong', {text: version.label}), version.current ? ' · current' : ' · earlier'))};
    });
    card.compareBox.replaceChildren(...card.compareVideos.map((c) => c.figure));
    card.video.hidden = true;
  }

  function drawVersions(card, shot, version) {
    card.versions.hidden = shot.versions.length < 2;
    if (card.versions.hidden) { card.compare = false; return; }
    const ordered = [...shot.versions].reverse();  // newest on top / first
    card.versions.replaceChildren(el('span', {class: 'rv-versions-label', text: 'Versions'}),
      ...ordered.map((v) => el('button', {type: 'button', class: 'rv-ver', 'aria-pressed': String(!card.compare && v === version),
        onclick: () => { card.viewing = v.current ? null : v.take_job_id; card.compare = false; updateCard(card, card.shot); }},
      v.label, v.current ? ' ' : null, v.current ? el('span', {class: 'rv-ver-tag', text: 'current'}) : null)),
      el('button', {type: 'button', class: 'rv-ver rv-ver-compare', 'aria-pressed': String(card.compare),
        onclick: () => { card.compare = !card.compare; updateCard(card, card.shot); }},
      icon('compare'), card.compare ? 'Close comparison' : `Compare ${(comparePair(card) || []).map((v) => v.label).join(' | ')}`));
  }

  function drawStatuses(card, version, current) {
    const chips = version.statuses.map((s) => el('li', {class: `rv-chip is-${s.status.value}`},
      el('span', {class: 'rv-dot', 'aria-hidden': 'true'}), el('span', {class: 'rv-chip-name', text: s.reviewer}),
      el('span', {class: 'rv-chip-status', text: s.status.label})));
    if (!chips.length) chips.push(el('li', {class: 'rv-chip is-needs_review'}, el('span', {class: 'rv-dot', 'aria-hidden': 'true'}), 'Needs review'));
    card.statuses.replaceChildren(...chips);
    const mine = version.statuses.find((s) => s.reviewer === state.name);
    const onCurrent = Boolean(current) && version.take_job_id === current.take_job_id && !card.compare;
    card.approve.setAttribute('aria-pressed', String(Boolean(mine) && mine.status.value === 'approved'));
    card.changes.setAttribute('aria-pressed', String(Boolean(mine) && mine.status.value === 'changes_requested'));
    card.approve.disabled = card.changes.disabled = !current || (!onCurrent && !card.compare);
    card.statusHint.textContent = !current ? 'Nothing to approve yet: this shot has no video.'
      : (!onCurrent && !card.compare ? `Approvals go on the current version (${current.label}).` : '');
    card.statusHint.hidden = !card.statusHint.textContent;
  }

  async function setStatus(card, status) {
    const current = currentVersion(card);
    if (!current) return;
    const name = await needName();
    card.statusMsg.textContent = '';
    const error = await write('status', {shot_id: card.id, take_job_id: current.take_job_id, reviewer: name, status});
    card.statusMsg.textContent = error;
    if (!error) toast(status === 'approved' ? `Shot ${card.shot.number} approved.` : `Changes requested on shot ${card.shot.number}.`);
  }

  // -- notes -------------------------------------------------------------------------------------------
  function drawNotes(card, version) {
    const notes = version.notes || [];
    const key = JSON.stringify([version.take_job_id, notes, card.compare]);
    const total = notes.reduce((n, note) => n + 1 + note.replies.length, 0);
    const on = card.shot.versions.length > 1 ? ` on ${version.label}` : '';
    card.notesTitle.textContent = total ? `Notes${on} · ${total}` : `No notes${on} yet`;
    card.markers.replaceChildren(...notes.map((note) => el('button', {type: 'button',
      class: `rv-marker${note.resolved ? ' is-resolved' : ''}`,
      'aria-label': `Jump to the note at ${note.timecode} by ${note.reviewer}`, title: `${note.timecode} · ${note.reviewer}`,
      onclick: () => seek(card, note.seconds)})));
    card.markers.querySelectorAll('.rv-marker').forEach((marker, i) => {
      marker.style.left = `${Math.min(100, (100 * notes[i].seconds) / (version.duration || 1))}%`;
    });
    if (key === card.notesKey) return;
    card.notesKey = key;
    const open = card.notes.querySelector('.rv-reply-form');
    const draft = open ? {id: open.dataset.noteId, text: open.querySelector('textarea').value,
      focused: document.activeElement === open.querySelector('textarea')} : null;
    card.notes.replaceChildren(...notes.map((note) => noteItem(card, note)));
    if (draft) {
      const item = card.notes.querySelector(`[data-note-id="${CSS.escape(draft.id)}"]`);
      if (item) openReply(card, item, draft.id, draft.text, draft.focused);
    }
  }

  function noteItem(card, note) {
    const item = el('li', {class: `rv-note${note.resolved ? ' is-resolved' : ''}`, 'data-note-id': note.id},
      el('div', {class: 'rv-note-head'},
        el('button', {type: 'button', class: 'rv-time', 'aria-label': `Play from ${note.timecode}`,
          onclick: () => seek(card, note.seconds)}, note.timecode),
        el('strong', {class: 'rv-note-who', text: note.reviewer}),
        note.resolved ? el('span', {class: 'rv-resolved', text: 'Resolved'}) : null),
      el('p', {class: 'rv-note-text', text: note.text}),
      note.replies.length ? el('ol', {class: 'rv-replies', 'aria-label': 'Replies'},
        ...note.replies.map((reply) => el('li', {class: 'rv-reply'},
          el('strong', {class: 'rv-note-who', text: reply.reviewer}),
          el('p', {class: 'rv-note-text', text: reply.text})))) : null,
      el('button', {type: 'button', class: 'rv-link-btn rv-reply-btn',
        onclick: () => openReply(card, item, note.id, '', true)}, 'Reply'));
    return item;
  }

  function openReply(card, item, noteId, text, focus) {
    if (item.querySelector('.rv-reply-form')) { if (focus) item.querySelector('.rv-reply-form textarea').focus(); return; }
    const id = `rv-reply-${noteId}`;
    const box = el('textarea', {id, rows: 2, placeholder: 'Write a reply…'});
    box.value = text;
    const msg = el('p', {class: 'rv-form-msg', role: 'alert'});
    const form = el('form', {class: 'rv-reply-form', 'data-note-id': noteId, novalidate: true},
      el('label', {class: 'rv-sr', for: id, text: 'Reply'}), box,
      el('div', {class: 'rv-reply-actions'},
        el('button', {type: 'button', class: 'rv-btn rv-btn-quiet', onclick: () => form.remove()}, 'Cancel'),
        el('button', {type: 'submit', class: 'rv-btn rv-btn-primary'}, 'Send reply')), msg);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problem = tooLong(box.value);
      if (problem) { msg.textContent = problem; return; }
      const name = await needName();
      const error = await write('reply', {parent_id: noteId, reviewer: name, text: box.value});
      msg.textContent = error;
      if (!error) form.remove();
    });
    item.querySelector('.rv-reply-btn').before(form);
    if (focus) box.focus();
  }

  function tooLong(text) {
    const count = [...text].length;
    return count > CFG.maxNote
      ? `Too long: a note holds at most ${CFG.maxNote.toLocaleString('en')} characters (this one has ${count.toLocaleString('en')}).`
      : '';
  }

  async function addNote(card) {
    const text = card.noteBox.value;
    card.noteMsg.textContent = '';
    const problem = tooLong(text) || (text.trim() ? '' : 'Note: write something first.');
    if (problem) { card.noteMsg.textContent = problem; return; }
    const target = noteTarget(card);
    const {video, version} = target;
    if (!version || !version.take_job_id || !version.video) { card.noteMsg.textContent = 'Note: this shot has no video to pin it to.'; return; }
    const seconds = Math.max(0, Math.min(video.currentTime || 0, version.duration));
    const name = await needName();
    const error = await write('note', {shot_id: card.id, take_job_id: version.take_job_id,
      seconds: Math.round(seconds * 1000) / 1000, reviewer: name, text});
    card.noteMsg.textContent = error;
    if (!error) { card.noteBox.value = ''; toast(`Note pinned at ${timecode(seconds)}.`); }
  }

  // -- start ------------------------------------------------------------------------------------------
  state.name = cookieName();
  drawMe();
  window.addEventListener('hashchange', () => location.reload());
  openLink();
})();
