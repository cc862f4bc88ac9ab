// The one-time link page. Plain HTML with a small inline script that posts to /api/setup; it
// never echoes anything the visitor typed into the page, so there is nothing to inject.
export function renderSetupPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel: set up your account</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.5rem;font:inherit}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}#msg{margin-top:1rem}</style></head>
<body><h1>Set up your Keel account</h1>
<p>This link works once and for 30 minutes. Passwords need at least 12 characters and must not be a common one.</p>
<form id="f"><div id="first"><label for="email">Email</label><input id="email" type="email" autocomplete="username">
<label for="name">Display name</label><input id="name" autocomplete="name"></div>
<label for="password">Password</label><input id="password" type="password" autocomplete="new-password" required>
<button type="submit">Continue</button></form><p id="msg" role="status"></p>
<script>
const token = new URLSearchParams(location.hash.slice(1) || location.search).get('token') || '';
document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = { token, password: document.getElementById('password').value,
    email: document.getElementById('email').value || undefined, display_name: document.getElementById('name').value || undefined };
  const r = await fetch('/api/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await r.json();
  const msg = document.getElementById('msg');
  if (r.ok) { msg.textContent = 'Done: you are signed in as ' + data.user.email + '.'; return; }
  msg.textContent = data.detail + (data.problems ? ' ' + data.problems.map((p) => p.path + ' ' + p.message).join('; ') : '');
});
</script></body></html>`;
}
