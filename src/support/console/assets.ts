/**
 * The console's only stylesheet and script, served by lockstep itself (`/console/assets/...`), so the CSP
 * can say `style-src 'self'; script-src 'self'` with nothing inline and nothing from elsewhere.
 *
 * The script keeps a handoff's status current while its page is open: every element with
 * `data-handoff` polls `/console/handoffs/<id>/status` (the session cookie goes along, same origin) and
 * shows the label the server sends, so the words stay in the texts catalog.
 */
export const CONSOLE_CSS = [
  ':root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;--fg:#1d2330;--muted:#5a6272;--line:#d8dce3;--accent:#2455c3;--ok:#1a7f37;--warn:#9a6700;--bad:#c62828}',
  '@media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1b1f26;--fg:#e8eaed;--muted:#aab1bd;--line:#333a45;--accent:#7aa2ff;--ok:#4ac26b;--warn:#d4a72c;--bad:#ff7b72}}',
  '*{box-sizing:border-box}',
  'body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
  'header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;padding:.75rem 1.5rem;background:var(--card);border-bottom:1px solid var(--line)}',
  'header .brand{font-weight:700;letter-spacing:.03em;margin-right:auto}',
  'header a{color:var(--accent);text-decoration:none;font-weight:600}',
  'header form{margin:0}header .who{color:var(--muted);font-size:.9rem}',
  'main{max-width:64rem;margin:1.5rem auto;padding:0 1.5rem}',
  'section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.25rem 1.5rem;margin:0 0 1.25rem}',
  'h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.125rem;margin:0 0 .75rem}',
  'p{margin:0 0 .75rem}.muted{color:var(--muted)}',
  'table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.5rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}',
  'th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}',
  'code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em;overflow-wrap:anywhere}',
  'label{display:block;font-weight:600;margin:.75rem 0 .25rem}',
  'input[type=text],input[type=password],input[type=number],select,textarea{width:100%;padding:.55rem .65rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg);font:inherit}',
  'textarea{min-height:5rem}',
  'button{margin-top:1rem;padding:.6rem 1.1rem;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}',
  'header button{margin:0;padding:.35rem .8rem;background:transparent;color:var(--accent);border:1px solid var(--line)}',
  'button:focus-visible,a:focus-visible{outline:3px solid var(--fg);outline-offset:2px}',
  '.notice{border-left:5px solid var(--accent);padding:.75rem 1rem;background:var(--card);margin:0 0 1rem;border-radius:6px}',
  '.notice.bad{border-color:var(--bad)}.notice.ok{border-color:var(--ok)}',
  '.transcript{list-style:none;margin:0;padding:0}.transcript li{padding:.35rem 0;border-bottom:1px dashed var(--line)}',
  '.transcript .from{display:inline-block;min-width:3.5rem;font-weight:700}.transcript .user .from{color:var(--accent)}',
  '.nowrap{white-space:nowrap}',
  '.handoffs{list-style:none;margin:0;padding:0}.handoffs li{padding:.5rem 0;border-bottom:1px solid var(--line);line-height:1.9}',
  '.status{display:inline-block;padding:.1rem .6rem;border-radius:6px;line-height:1.5;border:1px solid var(--line);font-weight:600}',
  '.status[data-status=completed]{color:var(--ok);border-color:var(--ok)}.status[data-status=opened]{color:var(--accent);border-color:var(--accent)}',
  '.status[data-status=abandoned],.status[data-status=expired]{color:var(--warn);border-color:var(--warn)}',
  '.qr svg{width:12rem;height:12rem;background:#fff;padding:.25rem;border-radius:6px}',
  '.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1.25rem}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0}',
].join('\n');

export const CONSOLE_JS = `'use strict';
(function () {
  var nodes = document.querySelectorAll('[data-handoff]');
  if (nodes.length === 0) return;
  var FINAL = { completed: true, abandoned: true, expired: true };
  function poll(node) {
    var id = node.getAttribute('data-handoff');
    if (!id || FINAL[node.getAttribute('data-status')]) return;
    fetch('/console/handoffs/' + encodeURIComponent(id) + '/status', {
      credentials: 'same-origin',
      headers: { accept: 'application/json' },
      cache: 'no-store'
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && typeof body.status === 'string') {
          node.setAttribute('data-status', body.status);
          node.textContent = String(body.label);
        }
      })
      .catch(function () {})
      .then(function () { setTimeout(function () { poll(node); }, 1500); });
  }
  for (var i = 0; i < nodes.length; i += 1) poll(nodes[i]);
})();
`;
