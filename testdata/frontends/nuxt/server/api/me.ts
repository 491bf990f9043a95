// A Gin API route behind auth.RequireAuth, reached through the same proxy.
export default defineEventHandler((event) =>
  proxyRequest(event, useRuntimeConfig(event).ginUrl + event.path, {
    fetchOptions: { redirect: 'manual' },
  }),
);
