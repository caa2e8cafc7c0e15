/**
 * The panel's own pages, outside AdminJS: login and logout. Static: nothing of the request is written into them.
 */
const STYLE = `<style>
  body { font-family: system-ui, sans-serif; background: #f6f7fb; display: flex; min-height: 100vh; margin: 0;
         align-items: center; justify-content: center; color: #1c1c38; }
  form { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 2px 12px rgba(0,0,0,.08);
         width: 20rem; }
  h1 { font-size: 1.25rem; margin: 0 0 1.5rem; }
  label { display: block; font-size: .85rem; margin: 1rem 0 .3rem; }
  input { width: 100%; box-sizing: border-box; padding: .55rem; border: 1px solid #c0c0ca; border-radius: 4px;
          font-size: 1rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; border: 0; border-radius: 4px; background: #3040d6;
           color: #fff; font-size: 1rem; cursor: pointer; }
  button[disabled] { opacity: .6; }
  #error { color: #c20012; font-size: .9rem; min-height: 1.2em; margin-top: 1rem; }
</style>`;

const page = (title: string, body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wispd — ${title}</title>
${STYLE}
</head>
${body}</html>
`;

/** A form that posts to POST /admin/api/login (which sets the session cookie) and then opens /admin. */
export const LOGIN_PAGE = page(
  'staff login',
  `<body>
<form id="login">
  <h1>wispd staff panel</h1>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
  <div id="error" role="alert"></div>
</form>
<script>
  const form = document.getElementById('login');
  const error = document.getElementById('error');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    error.textContent = '';
    try {
      const res = await fetch('/admin/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: form.email.value, password: form.password.value }),
      });
      if (res.ok) return location.assign('/admin');
      const body = await res.json().catch(() => ({}));
      error.textContent = body.message || 'Login failed (' + res.status + ')';
    } catch {
      error.textContent = 'The panel cannot be reached.';
    }
    button.disabled = false;
  });
</script>
</body>
`,
);

/**
 * GET /admin/logout (AdminJS's menu links there): a button that ends the session by POST, so that a link or an image
 * on another page cannot log staff out.
 */
export const LOGOUT_PAGE = page(
  'log out',
  `<body>
<form id="logout">
  <h1>Log out of the wispd staff panel?</h1>
  <button type="submit">Log out</button>
  <div id="error" role="alert"></div>
</form>
<script>
  const form = document.getElementById('logout');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const res = await fetch('/admin/api/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    }).catch(() => undefined);
    if (res && res.ok) return location.assign('/admin/login');
    document.getElementById('error').textContent = 'Logging out failed; try again.';
  });
</script>
</body>
`,
);
