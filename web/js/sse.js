// GET /api/v1/events needs the Authorization header, which EventSource cannot send: the stream is
// read with fetch() and parsed here (event:, data:, id:, comments), reconnecting with backoff.
import { session } from './api.js';

/** start(onEvent({type, data, id}), onState('live'|'retry'|'off'), onAuthFail) → stop() */
export function startEvents(onEvent, onState, onAuthFail) {
  let stopped = false, ctrl = null, timer = null, delay = 1000, lastId = null;

  async function connect() {
    ctrl = new AbortController();
    const c = ctrl;
    let watchdog = null;
    const kick = () => { clearTimeout(watchdog); watchdog = setTimeout(() => c.abort(), 40000); }; // heartbeats come every 15 s
    try {
      const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + session.token };
      if (lastId) headers['Last-Event-ID'] = lastId;
      kick();
      const res = await fetch('/api/v1/events', { headers, signal: c.signal, cache: 'no-store', credentials: 'omit' });
      if (res.status === 401) { stopped = true; onState('off'); onAuthFail?.(); return; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      onState('live');
      delay = 1000;
      onEvent({ type: 'open' }); // whatever happened while disconnected: views reload
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '', type = '', data = [], id = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        kick();
        buf += value;
        const lines = buf.split(/\r\n|\r|\n/);
        buf = lines.pop();
        for (const line of lines) {
          if (line === '') {
            if (id != null) lastId = id;
            if (data.length) {
              let d = data.join('\n');
              try { d = JSON.parse(d); } catch { /* not JSON: passed as text */ }
              onEvent({ type: type || 'message', data: d, id });
            }
            type = ''; data = []; id = null;
            continue;
          }
          if (line[0] === ':') continue;
          const i = line.indexOf(':');
          const f = i < 0 ? line : line.slice(0, i);
          let v = i < 0 ? '' : line.slice(i + 1);
          if (v[0] === ' ') v = v.slice(1);
          if (f === 'event') type = v;
          else if (f === 'data') data.push(v);
          else if (f === 'id' && !v.includes('\0')) id = v;
        }
      }
    } catch { /* network failure, abort or a bad answer: reconnect below */ }
    clearTimeout(watchdog);
    if (stopped) return;
    onState('retry');
    timer = setTimeout(connect, delay * (0.75 + Math.random() / 2));
    delay = Math.min(delay * 2, 30000);
  }
  connect();
  return () => { stopped = true; clearTimeout(timer); ctrl?.abort(); onState('off'); };
}
