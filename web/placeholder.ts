import type { RequestListener } from 'node:http';

/** Stands on WEB_PORT until the SvelteKit dashboard lands. */
export function placeholderDashboard(apiUrl: string, temporalUi: string): RequestListener {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Payments</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto">
<h1>Payments</h1><p>The dashboard is on its way. Meanwhile:</p>
<ul><li>API: <a href="${apiUrl}/healthz">${apiUrl}</a></li><li>Temporal UI: <a href="${temporalUi}">${temporalUi}</a></li></ul>
</body></html>`;
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page);
  };
}
