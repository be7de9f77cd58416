// The courier page's service worker: the page and its assets from the cache when there is no
// network (refreshed whenever there is); the day's orders network-first, the last answer offline.
// Actions (POST) are never cached or replayed here: the page queues them with their keys.
const CACHE = 'kassa-courier-v1';

// The page and every script and style it names, so that it opens with no network at all.
async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch('/courier/', { cache: 'no-cache' });
  const html = await res.clone().text();
  await cache.put('/courier/', res);
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  await cache.addAll(assets);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const page = url.pathname === '/courier/' || url.pathname === '/courier/index.html';
  const asset = url.pathname.startsWith('/assets/');
  const list = url.pathname === '/v1/couriers/me/orders';
  if (!page && !asset && !list) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const key = page ? '/courier/' : req;
      if (asset) {
        const hit = await cache.match(req);
        if (hit) return hit;
      }
      try {
        const res = await fetch(req);
        if (res.ok) await cache.put(key, res.clone());
        return res;
      } catch (e) {
        const hit = await cache.match(key);
        if (hit) return hit;
        throw e;
      }
    })(),
  );
});
