// Nuxt 3 front end whose sign-in is served by ginauth (AUTH_MODE=v4).
// @sidebase/nuxt-auth's "authjs" provider speaks the NextAuth v4 protocol to
// /api/auth on this origin; server/api/auth/[...].ts forwards it to Gin.
export default defineNuxtConfig({
  compatibilityDate: '2025-07-15',
  devtools: { enabled: false },
  telemetry: false,
  modules: ['@sidebase/nuxt-auth'],
  auth: {
    // Defaults spelled out: the browser calls /api/auth on this origin. In
    // production nuxt-auth's server plugin refuses to start (AUTH_NO_ORIGIN)
    // unless baseURL has an origin: set the env var named by originEnvKey at
    // run time to the FULL auth base URL, AUTH_ORIGIN=https://app.example.com/api/auth
    // (it replaces baseURL whole; an origin without /api/auth makes server-side
    // rendering fetch /session from itself and loop), or write baseURL as that
    // absolute URL here at build time.
    baseURL: '/api/auth',
    originEnvKey: 'AUTH_ORIGIN',
    provider: { type: 'authjs' },
    globalAppMiddleware: false,
  },
  runtimeConfig: {
    // Where Gin listens, seen from the Nuxt server; NUXT_GIN_URL overrides it at run time.
    ginUrl: 'http://127.0.0.1:8080',
  },
});
