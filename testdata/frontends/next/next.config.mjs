// The browser talks only to this Next.js origin; Next forwards /api/auth/*
// (Auth.js's REST endpoints, served by ginauth) and the Gin API routes to the
// Gin server. GIN_URL is read when `next build` runs: rewrites are compiled
// into .next/routes-manifest.json, so set it at build time.
const gin = (process.env.GIN_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');

/** @type {import('next').NextConfig} */
const nextConfig = {
  // Only because this app sits below another package-lock.json (testdata/frontends'):
  // without these Next.js picks that folder as the workspace root and warns.
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
  async rewrites() {
    return [
      { source: '/api/auth/:path*', destination: `${gin}/api/auth/:path*` },
      { source: '/api/me', destination: `${gin}/api/me` },
    ];
  },
};

export default nextConfig;
