// Forwards /api/auth/** (Auth.js's REST endpoints) to Gin. redirect: 'manual'
// is required: h3's proxy uses fetch, which follows redirects by default and
// would swallow the 302 (and its Set-Cookie) that Gin answers to form posts,
// such as its own sign-in page's.
export default defineEventHandler((event) =>
  proxyRequest(event, useRuntimeConfig(event).ginUrl + event.path, {
    fetchOptions: { redirect: 'manual' },
  }),
);
