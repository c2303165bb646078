// The page's stylesheet and script, served from /assets so the Content-Security-Policy can forbid
// inline code. The script only reveals and drives the copy buttons; the page works without it.

export const CATALOGUE_CSS = `
:root {
  --blue: #3c6eb4; --navy: #294172; --ink: #1d2433; --muted: #5b6475; --line: #e3e7ee;
  --bg: #f4f6fa; --card: #fff; --code: #f1f4f9; --ok: #2f7d32; --warn: #a15c00; --bad: #b3261e;
  --radius: 12px; --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --ink: #e6e9ef; --muted: #a3abba; --line: #2c3444; --bg: #12161f; --card: #1a2030; --code: #232b3d; --blue: #7aa7e6; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Cantarell", "Noto Sans", sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
code { font-family: var(--mono); font-size: 0.86em; }
.wrap { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.top { background: linear-gradient(135deg, #294172 0%, #3c6eb4 100%); color: #fff; padding: 28px 0 22px; }
.brand { display: flex; align-items: center; gap: 12px; }
.brand h1 { margin: 0; font-size: 28px; font-weight: 650; letter-spacing: -0.01em; }
.logo { display: inline-grid; place-items: center; width: 38px; height: 38px; border-radius: 50%; background: #fff; color: var(--navy);
  font: italic 700 26px/1 Georgia, "DejaVu Serif", serif; padding-bottom: 3px; }
.lede { margin: 8px 0 16px; max-width: 780px; color: #dbe5f5; }
.jump { display: flex; flex-wrap: wrap; gap: 8px; }
.chip { display: inline-block; padding: 4px 12px; border-radius: 999px; background: rgba(255,255,255,0.14); color: #fff; font-weight: 550; font-size: 14px; }
.chip:hover { background: rgba(255,255,255,0.26); text-decoration: none; }
.chip-official .tick { color: #b9f6ca; }

main { padding: 8px 20px 32px; }
.release { margin-top: 28px; scroll-margin-top: 12px; }
.release-head { display: flex; align-items: baseline; gap: 12px; border-bottom: 2px solid var(--line); padding-bottom: 6px; margin-bottom: 16px; }
.release-head h2 { margin: 0; font-size: 22px; }
.count { margin-left: auto; color: var(--muted); font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 18px; align-items: start; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: 0 1px 2px rgba(20,30,50,0.06), 0 4px 14px rgba(20,30,50,0.05); overflow: hidden; }
.card-head { display: flex; align-items: center; gap: 10px; padding: 14px 16px 10px; }
.card-head h3 { margin: 0; font-size: 17px; font-weight: 650; }
.arch { margin-left: auto; font: 600 12px/1 var(--mono); padding: 5px 8px; border-radius: 6px; background: var(--code); color: var(--muted); }
.image { padding: 10px 16px 14px; border-top: 1px solid var(--line); }
.image-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; }
.when { margin-left: auto; color: var(--muted); font-size: 13px; }
.version { margin: 6px 0 4px; color: var(--muted); font-size: 13px; line-height: 1.7; }
.version code { color: var(--ink); }
.label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.sep { color: var(--line); }

.badge { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 650; letter-spacing: 0.01em; border: 1px solid transparent; white-space: nowrap; }
.badge-nightly { background: #e8eefb; color: #2d4f8a; }
.badge-weekly { background: #e0f4f1; color: #11665a; }
.badge-rc { background: #fff1d6; color: #8a5300; }
.badge-respin { background: #f0e8fb; color: #5e3a96; }
.badge-release { background: #dff3e2; color: #1f6a2a; }
.badge-official { background: #1f6a2a; color: #fff; }
.badge-status { background: transparent; border-color: var(--line); color: var(--muted); }
.badge-status-failed { border-color: #f0b8b3; color: var(--bad); }
.badge-status-partial { border-color: #f2d19a; color: var(--warn); }
@media (prefers-color-scheme: dark) {
  .badge-nightly { background: #23355a; color: #c4d6f7; } .badge-weekly { background: #153f3a; color: #b5ece2; }
  .badge-rc { background: #4a3610; color: #ffdca0; } .badge-respin { background: #3a2a58; color: #dccbf7; }
  .badge-release { background: #1d4626; color: #c6efcc; }
}

.dest { margin-top: 12px; }
.dest h4 { margin: 0 0 6px; font-size: 13px; font-weight: 650; color: var(--ink); display: flex; gap: 8px; align-items: baseline; }
.dest-count { color: var(--muted); font-weight: 400; font-size: 12px; }
.amis { width: 100%; border-collapse: collapse; font-size: 13px; }
.amis thead th { text-align: left; font-size: 11px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: 0.04em; padding: 0 6px 4px 0; }
.amis tbody th { text-align: left; font-weight: 500; padding: 5px 8px 5px 0; white-space: nowrap; color: var(--muted); }
.amis td { padding: 5px 0; border-top: 1px solid var(--line); }
.amis tbody th { border-top: 1px solid var(--line); }
.amis .actions { text-align: right; white-space: nowrap; }
code.id, code.hash { background: var(--code); padding: 2px 6px; border-radius: 5px; user-select: all; white-space: nowrap; }
.copy { font: inherit; font-size: 12px; padding: 2px 9px; border-radius: 6px; border: 1px solid var(--line); background: var(--card); color: var(--ink); cursor: pointer; }
.copy:hover { border-color: var(--blue); color: var(--blue); }
.copy:focus-visible, .launch:focus-visible, a:focus-visible { outline: 2px solid var(--blue); outline-offset: 2px; }
.copy[data-copied="true"] { background: #dff3e2; border-color: #9fd3a8; color: var(--ok); }
.launch { display: inline-block; margin-left: 6px; font-size: 12px; font-weight: 600; padding: 2px 9px; border-radius: 6px; background: #ff9900; color: #1b1b1b; }
.launch:hover { background: #ffad33; text-decoration: none; }
.plain, .files { list-style: none; margin: 0; padding: 0; font-size: 13px; }
.plain li { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; padding: 4px 0; }
.where { color: var(--muted); }
.files li { padding: 6px 0; border-top: 1px solid var(--line); }
.files li:first-child { border-top: 0; }
.file-line { display: flex; align-items: baseline; gap: 8px; }
.file { font-weight: 550; overflow-wrap: anywhere; min-width: 0; }
.ftype { flex: none; min-width: 74px; text-align: center; font: 600 11px/1 var(--mono); padding: 4px 6px; border-radius: 5px; background: var(--code); color: var(--muted); }
.size { flex: none; color: var(--muted); margin-left: auto; white-space: nowrap; }
.sum { margin: 4px 0 0 82px; display: flex; align-items: center; gap: 6px; }
.checksums { margin: 8px 0 0; font-size: 12px; color: var(--muted); }
.state { font-size: 12px; font-weight: 600; color: var(--warn); }
.row-failed .state, .row-removed .state { color: var(--bad); }
.detail { color: var(--muted); font-size: 12px; }
.more { margin: 10px 0 0; font-size: 12px; color: var(--muted); }

.empty { margin: 48px auto; max-width: 560px; text-align: center; background: var(--card); border: 1px dashed var(--line); border-radius: var(--radius); padding: 32px; }
.empty h2 { margin-top: 0; }
.bottom { border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; padding: 16px 0 28px; }
.bottom p { margin: 4px 0; }
@media (max-width: 560px) { .cards { grid-template-columns: 1fr; } .brand h1 { font-size: 23px; } .sum { margin-left: 0; } }
`;

export const CATALOGUE_JS = `'use strict';
(function () {
  function fallbackCopy(text) {
    var area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function copy(button) {
    var text = button.getAttribute('data-copy') || '';
    var done = function (ok) {
      button.setAttribute('data-copied', ok ? 'true' : 'false');
      button.textContent = ok ? 'Copied ✓' : 'Select & copy';
      clearTimeout(button._reset);
      button._reset = setTimeout(function () { button.textContent = 'Copy'; }, 1800);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallbackCopy(text)); });
    } else {
      done(fallbackCopy(text));
    }
  }
  var buttons = document.querySelectorAll('button.copy[data-copy]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener('click', function (event) { copy(event.currentTarget); });
  }
})();
`;

/** The page's icon: a white "f" on Fedora blue. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#294172"/><text x="33" y="46" font-family="Georgia,serif" font-style="italic" font-weight="700" font-size="40" text-anchor="middle" fill="#fff">f</text></svg>`;
